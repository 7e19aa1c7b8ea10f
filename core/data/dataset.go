package data

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Dataset is a labelled image data set held in memory.
type Dataset struct {
	Name       string
	N, C, H, W int
	Classes    int
	Images     []float32 // N×C×H×W, row-major, pixel values in [0,1]
	Labels     []int32   // N labels in [0, Classes)
}

// Validate checks that the sizes agree and every label is in [0, Classes).
func (ds *Dataset) Validate() error {
	if ds.N < 0 || ds.C < 1 || ds.H < 1 || ds.W < 1 || ds.Classes < 1 {
		return fmt.Errorf("data: %s: bad shape N=%d C=%d H=%d W=%d Classes=%d", ds.Name, ds.N, ds.C, ds.H, ds.W, ds.Classes)
	}
	if want := ds.N * ds.C * ds.H * ds.W; len(ds.Images) != want {
		return fmt.Errorf("data: %s: %d pixel values, want N×C×H×W = %d×%d×%d×%d = %d",
			ds.Name, len(ds.Images), ds.N, ds.C, ds.H, ds.W, want)
	}
	if len(ds.Labels) != ds.N {
		return fmt.Errorf("data: %s: %d labels for %d images", ds.Name, len(ds.Labels), ds.N)
	}
	if i := badLabel(ds.Labels, ds.Classes); i >= 0 {
		return fmt.Errorf("data: %s: label %d at index %d is out of range [0, %d)", ds.Name, ds.Labels[i], i, ds.Classes)
	}
	return nil
}

// badLabel returns the index of the first label outside [0, classes), or -1.
func badLabel(labels []int32, classes int) int {
	for i, l := range labels {
		if l < 0 || int(l) >= classes {
			return i
		}
	}
	return -1
}

// Image returns the C×H×W pixels of sample i, sharing ds's storage.
func (ds *Dataset) Image(i int) []float32 {
	n := ds.C * ds.H * ds.W
	return ds.Images[i*n : (i+1)*n : (i+1)*n]
}

// Slice returns samples [lo, hi) as a Dataset sharing ds's storage, for
// example to train on a small part of a large set.
func (ds *Dataset) Slice(lo, hi int) *Dataset {
	if lo < 0 || hi < lo || hi > ds.N {
		panic(fmt.Sprintf("data: Slice(%d, %d) of %d samples", lo, hi, ds.N))
	}
	n := ds.C * ds.H * ds.W
	s := *ds
	s.N = hi - lo
	s.Images = ds.Images[lo*n : hi*n : hi*n]
	s.Labels = ds.Labels[lo:hi:hi]
	return &s
}

// MeanStd returns the mean and (population) standard deviation of each
// channel over all images and pixels, accumulated in float64. These are the
// usual LoaderConfig.Mean and Std, computed on the training set.
func (ds *Dataset) MeanStd() (mean, std []float32) {
	plane := ds.H * ds.W
	sum := make([]float64, ds.C)
	sq := make([]float64, ds.C)
	for i := 0; i < ds.N; i++ {
		img := ds.Image(i)
		for c := range ds.C {
			var s, q float64
			for _, v := range img[c*plane : (c+1)*plane] {
				s += float64(v)
				q += float64(v) * float64(v)
			}
			sum[c] += s
			sq[c] += q
		}
	}
	mean = make([]float32, ds.C)
	std = make([]float32, ds.C)
	cnt := float64(ds.N * plane)
	if cnt == 0 {
		return mean, std
	}
	for c := range ds.C {
		m := sum[c] / cnt
		mean[c] = float32(m)
		std[c] = float32(math.Sqrt(max(0, sq[c]/cnt-m*m)))
	}
	return mean, std
}

// fromIDX builds a one-channel Dataset from an N×H×W images file and an N
// labels file; the paths name the files in errors.
func fromIDX(name string, classes int, images *IDX, imagesPath string, labels *IDX, labelsPath string) (*Dataset, error) {
	if len(images.Dims) != 3 {
		return nil, fmt.Errorf("data: %s: %s, want N×H×W images (magic 0x%08x)", imagesPath, describeDims(images.Dims), MagicImages)
	}
	if len(labels.Dims) != 1 {
		return nil, fmt.Errorf("data: %s: %s, want N labels (magic 0x%08x)", labelsPath, describeDims(labels.Dims), MagicLabels)
	}
	n, h, w := images.Dims[0], images.Dims[1], images.Dims[2]
	if labels.Dims[0] != n {
		return nil, fmt.Errorf("data: %s has %d images but %s has %d labels", imagesPath, n, labelsPath, labels.Dims[0])
	}
	if n == 0 || h == 0 || w == 0 {
		return nil, fmt.Errorf("data: %s: %s, want at least one non-empty image", imagesPath, describeDims(images.Dims))
	}
	ds := &Dataset{Name: name, N: n, C: 1, H: h, W: w, Classes: classes,
		Images: make([]float32, len(images.Data)), Labels: make([]int32, n)}
	for i, l := range labels.Data {
		if int(l) >= classes {
			return nil, fmt.Errorf("data: %s: label %d at index %d is out of range [0, %d)", labelsPath, l, i, classes)
		}
		ds.Labels[i] = int32(l)
	}
	for i, v := range images.Data {
		ds.Images[i] = float32(v) / 255
	}
	return ds, nil
}

// Synthetic returns a learnable toy data set of n images of c×h×w pixels in
// [0,1]: each class is a bright Gaussian blob at its own place (on a circle
// round the centre) with its own brightness per channel, jittered by up to a
// pixel and overlaid with uniform noise. Labels cycle through the classes.
// The same arguments give the same data. It panics on non-positive sizes.
func Synthetic(n, c, h, w, classes int, seed uint64) *Dataset {
	if n < 0 || c < 1 || h < 1 || w < 1 || classes < 1 {
		panic(fmt.Sprintf("data: Synthetic(%d, %d, %d, %d, %d)", n, c, h, w, classes))
	}
	rng := rand.New(rand.NewPCG(seed, 0x73796e7468657469)) // "synthetic"
	ds := &Dataset{Name: "synthetic", N: n, C: c, H: h, W: w, Classes: classes,
		Images: make([]float32, n*c*h*w), Labels: make([]int32, n)}
	radius := 0.3 * float64(min(h, w))
	sigma := max(0.5, 0.15*float64(min(h, w)))
	for i := range n {
		k := i % classes
		ds.Labels[i] = int32(k)
		angle := 2 * math.Pi * float64(k) / float64(classes)
		cy := float64(h-1)/2 + radius*math.Sin(angle) + rng.Float64()*2 - 1
		cx := float64(w-1)/2 + radius*math.Cos(angle) + rng.Float64()*2 - 1
		img := ds.Image(i)
		for ch := range c {
			amp := 0.5 + 0.5*float64((k+ch)%classes+1)/float64(classes)
			for y := range h {
				for x := range w {
					dy, dx := float64(y)-cy, float64(x)-cx
					v := amp*math.Exp(-(dy*dy+dx*dx)/(2*sigma*sigma)) + 0.1*rng.Float64()
					img[(ch*h+y)*w+x] = float32(min(1, v))
				}
			}
		}
	}
	return ds
}
