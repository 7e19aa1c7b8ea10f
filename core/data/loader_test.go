package data

import (
	"math"
	"slices"
	"testing"

	"github.com/untied-ml/untied/core/tensor"
)

// indexed returns a data set whose pixel values identify the sample
// (value = sample/1000) and whose label is the sample number.
func indexed(n, c, h, w int) *Dataset {
	ds := &Dataset{Name: "indexed", N: n, C: c, H: h, W: w, Classes: n,
		Images: make([]float32, n*c*h*w), Labels: make([]int32, n)}
	for i := range n {
		ds.Labels[i] = int32(i)
		img := ds.Image(i)
		for k := range img {
			img[k] = float32(i) / 1000
		}
	}
	return ds
}

func mustLoader(t *testing.T, ds *Dataset, cfg LoaderConfig) *Loader {
	t.Helper()
	l, err := NewLoader(ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// epochLabels returns the labels of all batches of an epoch in order.
func epochLabels(l *Loader, epoch int) []int32 {
	var all []int32
	var x *tensor.Tensor
	var lab []int32
	for i := range l.Batches() {
		x, lab = l.Batch(epoch, i, x, lab)
		all = append(all, lab...)
	}
	return all
}

func TestLoaderBatches(t *testing.T) {
	ds := indexed(10, 1, 2, 2)
	for _, tc := range []struct {
		batch    int
		dropLast bool
		want     int
	}{{3, false, 4}, {3, true, 3}, {5, false, 2}, {5, true, 2}, {10, true, 1}, {11, false, 1}, {11, true, 0}, {1, false, 10}} {
		l := mustLoader(t, ds, LoaderConfig{Batch: tc.batch, DropLast: tc.dropLast})
		if got := l.Batches(); got != tc.want {
			t.Errorf("Batches(batch %d, DropLast %v) = %d, want %d", tc.batch, tc.dropLast, got, tc.want)
		}
	}
	l := mustLoader(t, ds, LoaderConfig{Batch: 4})
	x, lab := l.Batch(0, 2, nil, nil)
	if !x.SameShape(2, 1, 2, 2) || !slices.Equal(lab, []int32{8, 9}) {
		t.Errorf("last Batch = shape %v labels %v, want [2 1 2 2] and [8 9]", x.Shape, lab)
	}
	if want := float32(9) / 1000; x.Data[7] != want {
		t.Errorf("last Batch pixel 7 = %v, want %v", x.Data[7], want)
	}
}

func TestLoaderDeterminism(t *testing.T) {
	ds := Synthetic(103, 2, 6, 5, 4, 1)
	cfg := LoaderConfig{Batch: 10, Shuffle: true, Seed: 42, CropPad: 2, Flip: true,
		Mean: []float32{0.3, 0.2}, Std: []float32{0.5, 0.25}}
	a, b := mustLoader(t, ds, cfg), mustLoader(t, ds, cfg)

	// Same (seed, epoch, i) gives the same batch, whatever was asked before:
	// take b's batches backwards and after visiting another epoch.
	b.Batch(7, 0, nil, nil)
	for i := b.Batches() - 1; i >= 0; i-- {
		xa, la := a.Batch(3, i, nil, nil)
		xb, lb := b.Batch(3, i, nil, nil)
		if !slices.Equal(la, lb) || !slices.Equal(xa.Data, xb.Data) {
			t.Errorf("Batch(3, %d) differs between two loaders with the same config", i)
		}
	}

	// Every sample exactly once per epoch, in an order that changes with
	// the epoch and the seed.
	seen := map[string]bool{}
	for _, seed := range []uint64{42, 43} {
		cfg.Seed = seed
		cfg.Mean, cfg.Std = nil, nil
		l := mustLoader(t, indexed(103, 1, 2, 2), cfg)
		for epoch := range 3 {
			got := epochLabels(l, epoch)
			sorted := slices.Sorted(slices.Values(got))
			for k, v := range sorted {
				if v != int32(k) {
					t.Fatalf("seed %d epoch %d: sorted labels[%d] = %d, want %d (each sample once)", seed, epoch, k, v, k)
				}
			}
			key := string(fmtInts(got))
			if seen[key] {
				t.Errorf("seed %d epoch %d repeats an order seen before", seed, epoch)
			}
			seen[key] = true
		}
	}

	// Without Shuffle the order is the data set's.
	l := mustLoader(t, indexed(23, 1, 1, 1), LoaderConfig{Batch: 5})
	for epoch := range 2 {
		got := epochLabels(l, epoch)
		for k, v := range got {
			if v != int32(k) {
				t.Fatalf("unshuffled epoch %d: labels[%d] = %d, want %d", epoch, k, v, k)
			}
		}
	}
}

func fmtInts(v []int32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = append(b, byte(x>>24), byte(x>>16), byte(x>>8), byte(x))
	}
	return b
}

func TestLoaderNormalise(t *testing.T) {
	ds := Synthetic(8, 3, 4, 4, 2, 5)
	mean, std := ds.MeanStd()
	l := mustLoader(t, ds, LoaderConfig{Batch: 8, Mean: mean, Std: std})
	x, _ := l.Batch(0, 0, nil, nil)
	norm := &Dataset{Name: "norm", N: 8, C: 3, H: 4, W: 4, Classes: 2, Images: x.Data, Labels: ds.Labels}
	m, s := norm.MeanStd()
	// Normalising with the data's own statistics gives mean 0 and std 1, up
	// to float32 rounding of values of order 1 over 128 terms.
	for c := range 3 {
		if math.Abs(float64(m[c])) > 1e-5 || math.Abs(float64(s[c])-1) > 1e-5 {
			t.Errorf("channel %d after normalising: mean %v std %v, want 0 and 1", c, m[c], s[c])
		}
	}
}

// TestLoaderCropFlip compares the augmented batches of a 1×3×4 image with
// the crops and mirrors written out by hand.
func TestLoaderCropFlip(t *testing.T) {
	const h, w, p = 3, 4, 1
	ds := &Dataset{Name: "tiny", N: 1, C: 1, H: h, W: w, Classes: 1,
		Images: make([]float32, h*w), Labels: []int32{0}}
	for k := range ds.Images {
		ds.Images[k] = float32(k+1) / 100 // 0.01 … 0.12, so 0 marks padding
	}
	at := func(y, x int) float32 {
		if y < 0 || y >= h || x < 0 || x >= w {
			return 0
		}
		return ds.Images[y*w+x]
	}
	// Mean 0.5 and std 2 make padding (0 − 0.5)/2 = −0.25.
	l := mustLoader(t, ds, LoaderConfig{Batch: 1, CropPad: p, Flip: true, Mean: []float32{0.5}, Std: []float32{2}})
	offsets := map[[3]int]bool{}
	var x *tensor.Tensor
	for epoch := range 400 {
		x, _ = l.Batch(epoch, 0, x, nil)
		found := false
		for dy := -p; dy <= p && !found; dy++ {
			for dx := -p; dx <= p && !found; dx++ {
				for flip := range 2 {
					ok := true
					for y := range h {
						for xx := range w {
							sx := xx
							if flip == 1 {
								sx = w - 1 - xx
							}
							want := (at(y+dy, sx+dx) - 0.5) / 2
							if x.Data[y*w+xx] != want {
								ok = false
							}
						}
					}
					if ok {
						found = true
						offsets[[3]int{dy, dx, flip}] = true
						break
					}
				}
			}
		}
		if !found {
			t.Fatalf("epoch %d: batch %v is no crop of the padded image, mirrored or not", epoch, x.Data)
		}
	}
	if want := (2*p + 1) * (2*p + 1) * 2; len(offsets) != want {
		t.Errorf("400 epochs gave %d distinct (dy, dx, flip), want all %d", len(offsets), want)
	}

	// dy = dx = −1 moves the image down and right by one pixel: output
	// (y, x) is input (y−1, x−1), so row 0 and column 0 are padding.
	want := []float32{
		0, 0, 0, 0,
		0, 0.01, 0.02, 0.03,
		0, 0.05, 0.06, 0.07,
	}
	got := make([]float32, h*w)
	l.transform(got, ds.Image(0), -1, -1, false)
	for k := range want {
		if w := (want[k] - 0.5) / 2; got[k] != w {
			t.Errorf("transform(dy=-1, dx=-1)[%d] = %v, want %v", k, got[k], w)
		}
	}
	wantFlip := []float32{
		0.04, 0.03, 0.02, 0.01,
		0.08, 0.07, 0.06, 0.05,
		0.12, 0.11, 0.10, 0.09,
	}
	l.transform(got, ds.Image(0), 0, 0, true)
	for k := range wantFlip {
		if w := (wantFlip[k] - 0.5) / 2; got[k] != w {
			t.Errorf("transform(flip)[%d] = %v, want %v", k, got[k], w)
		}
	}
}

func TestLoaderNoAugmentIsIdentity(t *testing.T) {
	ds := Synthetic(7, 2, 3, 3, 3, 9)
	l := mustLoader(t, ds, LoaderConfig{Batch: 7})
	x, lab := l.Batch(5, 0, nil, nil)
	if !slices.Equal(x.Data, ds.Images) || !slices.Equal(lab, ds.Labels) {
		t.Errorf("Batch without shuffling or augmentation differs from the data set")
	}
}

func TestLoaderAllocs(t *testing.T) {
	ds := Synthetic(64, 3, 8, 8, 10, 2)
	l := mustLoader(t, ds, LoaderConfig{Batch: 10, Shuffle: true, Seed: 1, CropPad: 2, Flip: true,
		Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{0.2, 0.2, 0.2}})
	x, lab := l.Batch(0, 0, nil, nil)
	i := 0
	if n := testing.AllocsPerRun(100, func() {
		x, lab = l.Batch(0, i%l.Batches(), x, lab) // includes the short last batch
		i++
	}); n != 0 {
		t.Errorf("Batch allocates %v times per call within an epoch, want 0", n)
	}
	epoch := 1
	if n := testing.AllocsPerRun(20, func() {
		x, lab = l.Batch(epoch, 0, x, lab)
		epoch++
	}); n != 0 {
		t.Errorf("Batch allocates %v times per call at a new epoch, want 0", n)
	}
}

func TestNewLoaderErrors(t *testing.T) {
	ds := Synthetic(4, 2, 2, 2, 2, 1)
	bad := *ds
	bad.Labels = []int32{0, 1, 2, 0}
	for name, tc := range map[string]struct {
		ds  *Dataset
		cfg LoaderConfig
	}{
		"nil":        {nil, LoaderConfig{Batch: 1}},
		"batch 0":    {ds, LoaderConfig{}},
		"crop -1":    {ds, LoaderConfig{Batch: 1, CropPad: -1}},
		"mean len":   {ds, LoaderConfig{Batch: 1, Mean: []float32{0}}},
		"std len":    {ds, LoaderConfig{Batch: 1, Std: []float32{1, 1, 1}}},
		"std 0":      {ds, LoaderConfig{Batch: 1, Std: []float32{1, 0}}},
		"mean NaN":   {ds, LoaderConfig{Batch: 1, Mean: []float32{0, float32(math.NaN())}}},
		"bad labels": {&bad, LoaderConfig{Batch: 1}},
	} {
		if _, err := NewLoader(tc.ds, tc.cfg); err == nil {
			t.Errorf("NewLoader(%s) error = nil, want one", name)
		}
	}
}

func TestLoaderBatchPanics(t *testing.T) {
	l := mustLoader(t, Synthetic(4, 1, 2, 2, 2, 1), LoaderConfig{Batch: 2})
	for _, i := range []int{-1, 2} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Batch(0, %d) of 2 batches did not panic", i)
				}
			}()
			l.Batch(0, i, nil, nil)
		}()
	}
}

func BenchmarkLoaderBatch(b *testing.B) {
	ds := Synthetic(1024, 1, 28, 28, 10, 1)
	l, err := NewLoader(ds, LoaderConfig{Batch: 128, Shuffle: true, Seed: 1, CropPad: 2, Flip: true,
		Mean: []float32{0.3}, Std: []float32{0.3}})
	if err != nil {
		b.Fatal(err)
	}
	var x *tensor.Tensor
	var lab []int32
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		x, lab = l.Batch(0, i%l.Batches(), x, lab)
	}
}

// TestTransformReference compares transform with the plain loop of its doc
// comment for every shift, including shifts that move the whole image out.
func TestTransformReference(t *testing.T) {
	ds := Synthetic(1, 2, 3, 5, 1, 3)
	l := mustLoader(t, ds, LoaderConfig{Batch: 1, Mean: []float32{0.1, 0.7}, Std: []float32{0.5, 3}})
	c, h, w := ds.C, ds.H, ds.W
	src := ds.Image(0)
	got := make([]float32, len(src))
	for dy := -6; dy <= 6; dy++ {
		for dx := -6; dx <= 6; dx++ {
			for _, flip := range []bool{false, true} {
				l.transform(got, src, dy, dx, flip)
				for ch := range c {
					for y := range h {
						for x := range w {
							xs := x
							if flip {
								xs = w - 1 - x
							}
							var v float32
							if 0 <= y+dy && y+dy < h && 0 <= xs+dx && xs+dx < w {
								v = src[(ch*h+y+dy)*w+xs+dx]
							}
							// Same float32 operations as transform: v·(1/s) + (−m/s).
							want := v*l.scale[ch] + l.shift[ch]
							if g := got[(ch*h+y)*w+x]; g != want {
								t.Fatalf("transform(dy=%d, dx=%d, flip=%v)[%d][%d][%d] = %v, want %v", dy, dx, flip, ch, y, x, g, want)
							}
						}
					}
				}
			}
		}
	}
}
