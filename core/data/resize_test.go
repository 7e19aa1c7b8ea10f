package data

import (
	"math"
	"testing"
)

// TestResized checks bilinear resizing against values worked by hand, and
// that it keeps a constant image, the labels and an image of its own size.
func TestResized(t *testing.T) {
	// A 2×2 image [[0, 1], [2, 3]] to 4×4: centres map to source
	// coordinates −0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
	ds := &Dataset{Name: "t", N: 1, C: 1, H: 2, W: 2, Classes: 2, Images: []float32{0, 1, 2, 3}, Labels: []int32{1}}
	got, err := ds.Resized(4)
	if err != nil {
		t.Fatal(err)
	}
	along := []float64{0, 0.25, 0.75, 1}
	for y := range 4 {
		for x := range 4 {
			want := 2*along[y] + along[x]
			if v := got.Images[y*4+x]; math.Abs(float64(v)-want) > 1e-6 {
				t.Errorf("pixel (%d, %d) = %v, want %v", y, x, v, want)
			}
		}
	}
	if got.H != 4 || got.W != 4 || got.Labels[0] != 1 || got.Validate() != nil {
		t.Errorf("resized data set %+v: %v", got, got.Validate())
	}

	flat := &Dataset{Name: "c", N: 2, C: 3, H: 28, W: 28, Classes: 2, Images: make([]float32, 2*3*28*28), Labels: []int32{0, 1}}
	for i := range flat.Images {
		flat.Images[i] = float32(i / (28 * 28)) // one constant per image and channel
	}
	big, _ := flat.Resized(32)
	for i, v := range big.Images {
		if want := float32(i / (32 * 32)); v != want {
			t.Fatalf("constant plane %d resized holds %v, want %v", i/(32*32), v, want)
		}
	}
	same, _ := flat.Resized(28)
	for i := range same.Images {
		if same.Images[i] != flat.Images[i] {
			t.Fatalf("resizing to its own size changed pixel %d", i)
		}
	}
	if _, err := flat.Resized(0); err == nil {
		t.Error("Resized(0): no error")
	}
}
