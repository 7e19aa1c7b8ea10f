package data

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	good := Synthetic(6, 2, 3, 3, 3, 1)
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(Synthetic) = %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(ds *Dataset)
		want   string
	}{
		{"label high", func(ds *Dataset) { ds.Labels[4] = 3 }, "label 3 at index 4 is out of range [0, 3)"},
		{"label negative", func(ds *Dataset) { ds.Labels[0] = -1 }, "label -1 at index 0"},
		{"few labels", func(ds *Dataset) { ds.Labels = ds.Labels[:5] }, "5 labels for 6 images"},
		{"few pixels", func(ds *Dataset) { ds.Images = ds.Images[:1] }, "1 pixel values"},
		{"no classes", func(ds *Dataset) { ds.Classes = 0 }, "bad shape"},
		{"no channels", func(ds *Dataset) { ds.C = 0 }, "bad shape"},
	} {
		ds := *good
		ds.Labels = slices.Clone(good.Labels)
		tc.change(&ds)
		err := ds.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "synthetic") {
			t.Errorf("Validate(%s) = %v, want an error naming the set and containing %q", tc.name, err, tc.want)
		}
	}
}

func TestMeanStd(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	ds := &Dataset{Name: "r", N: 5, C: 3, H: 2, W: 4, Classes: 1,
		Images: make([]float32, 5*3*2*4), Labels: make([]int32, 5)}
	for i := range ds.Images {
		ds.Images[i] = rng.Float32()
	}
	mean, std := ds.MeanStd()
	for c := range 3 {
		var vals []float64
		for i := range ds.N {
			for _, v := range ds.Image(i)[c*8 : (c+1)*8] {
				vals = append(vals, float64(v))
			}
		}
		var m, q float64
		for _, v := range vals {
			m += v
		}
		m /= float64(len(vals))
		for _, v := range vals {
			q += (v - m) * (v - m)
		}
		s := math.Sqrt(q / float64(len(vals)))
		// Both sums are float64 over 40 values in [0,1]; the one-pass
		// variance loses little, so 1e-6 covers float32 rounding of the result.
		if math.Abs(float64(mean[c])-m) > 1e-6 || math.Abs(float64(std[c])-s) > 1e-6 {
			t.Errorf("MeanStd channel %d = %v, %v, want %v, %v", c, mean[c], std[c], m, s)
		}
	}
}

func TestSlice(t *testing.T) {
	ds := Synthetic(10, 2, 3, 3, 4, 1)
	s := ds.Slice(3, 7)
	if s.N != 4 || len(s.Labels) != 4 || len(s.Images) != 4*18 || s.Labels[0] != ds.Labels[3] {
		t.Errorf("Slice(3, 7) = N %d, %d labels, %d pixels, want 4, 4, 72", s.N, len(s.Labels), len(s.Images))
	}
	if !slices.Equal(s.Image(0), ds.Image(3)) {
		t.Errorf("Slice(3, 7).Image(0) != Image(3)")
	}
	if err := s.Validate(); err != nil {
		t.Errorf("Slice(3, 7).Validate() = %v", err)
	}
}

func TestSynthetic(t *testing.T) {
	a := Synthetic(200, 2, 8, 8, 5, 7)
	b := Synthetic(200, 2, 8, 8, 5, 7)
	c := Synthetic(200, 2, 8, 8, 5, 8)
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Images, b.Images) || !slices.Equal(a.Labels, b.Labels) {
		t.Errorf("Synthetic with the same seed differs")
	}
	if slices.Equal(a.Images, c.Images) {
		t.Errorf("Synthetic with seeds 7 and 8 gives the same images")
	}
	for i, v := range a.Images {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("Synthetic pixel %d = %v, want it in [0,1]", i, v)
		}
	}

	// Learnable: a nearest-centroid classifier fitted on the first half
	// labels nearly all of the second half correctly.
	train, test := a.Slice(0, 100), a.Slice(100, 200)
	size := a.C * a.H * a.W
	cent := make([][]float64, a.Classes)
	for k := range cent {
		cent[k] = make([]float64, size)
	}
	for i := range train.N {
		for j, v := range train.Image(i) {
			cent[train.Labels[i]][j] += float64(v) / float64(train.N/a.Classes)
		}
	}
	correct := 0
	for i := range test.N {
		best, bestD := -1, math.Inf(1)
		for k := range cent {
			var d float64
			for j, v := range test.Image(i) {
				d += (float64(v) - cent[k][j]) * (float64(v) - cent[k][j])
			}
			if d < bestD {
				best, bestD = k, d
			}
		}
		if int32(best) == test.Labels[i] {
			correct++
		}
	}
	if correct < 95 {
		t.Errorf("nearest centroid classifies %d of 100 Synthetic samples correctly, want ≥ 95", correct)
	}
}
