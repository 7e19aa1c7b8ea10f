package nn

import (
	"math"
	"testing"
)

// TestReluGradSpecialValues checks the bit-mask select against its
// definition, dy where y > 0, on zeros, infinities, NaNs and subnormals.
func TestReluGradSpecialValues(t *testing.T) {
	nan := float32(math.NaN())
	ys := []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
		nan, -nan, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32}
	dy := make([]float32, len(ys))
	for i := range dy {
		dy[i] = float32(i) + 0.5
	}
	got := make([]float32, len(ys))
	reluGrad(got, dy, ys)
	for i, y := range ys {
		want := float32(0)
		if y > 0 {
			want = dy[i]
		}
		if got[i] != want {
			t.Errorf("reluGrad(dy=%v, y=%v) = %v, want %v", dy[i], y, got[i], want)
		}
	}
}
