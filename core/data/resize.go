package data

import "fmt"

// Resized returns ds with every image resized to size×size by bilinear
// interpolation, as torchvision's Resize does (pixel centres aligned,
// source coordinates clamped at the border: align_corners=False): a copy,
// or ds itself if its images have that size already.
// BioTorch resizes MNIST's 28×28 images to 32×32 for its LeNetMNIST.
func (ds *Dataset) Resized(size int) (*Dataset, error) {
	if size < 1 {
		return nil, fmt.Errorf("data: %s: resize to %d×%d, want a size ≥ 1", ds.Name, size, size)
	}
	if size == ds.H && size == ds.W {
		return ds, nil // bilinear at scale 1 is the identity
	}
	ys, xs := bilinearTaps(ds.H, size), bilinearTaps(ds.W, size)
	out := &Dataset{Name: ds.Name, N: ds.N, C: ds.C, H: size, W: size, Classes: ds.Classes,
		Images: make([]float32, ds.N*ds.C*size*size), Labels: ds.Labels}
	row := make([]float32, ds.W) // one source row interpolated in y
	for p := range ds.N * ds.C {
		src := ds.Images[p*ds.H*ds.W : (p+1)*ds.H*ds.W]
		dst := out.Images[p*size*size : (p+1)*size*size]
		for oy, ty := range ys {
			r0, r1 := src[ty.i0*ds.W:(ty.i0+1)*ds.W], src[ty.i1*ds.W:(ty.i1+1)*ds.W]
			for x := range row {
				row[x] = r0[x] + ty.f*(r1[x]-r0[x])
			}
			for ox, tx := range xs {
				dst[oy*size+ox] = row[tx.i0] + tx.f*(row[tx.i1]-row[tx.i0])
			}
		}
	}
	return out, nil
}

// tap is where an output pixel reads its source: between pixels i0 and
// i1 (= i0 or i0+1), at fraction f from i0.
type tap struct {
	i0, i1 int
	f      float32
}

// bilinearTaps returns the taps of each of out pixels along an axis of in
// pixels: output pixel o's centre (o + ½)·in/out − ½ in source
// coordinates, clamped to [0, in − 1].
func bilinearTaps(in, out int) []tap {
	taps := make([]tap, out)
	scale := float64(in) / float64(out)
	for o := range taps {
		s := min(max((float64(o)+0.5)*scale-0.5, 0), float64(in-1))
		i0 := int(s)
		i1 := min(i0+1, in-1)
		taps[o] = tap{i0: i0, i1: i1, f: float32(s - float64(i0))}
	}
	return taps
}
