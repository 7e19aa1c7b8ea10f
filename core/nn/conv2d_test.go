package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/untied-ml/untied/core/tensor"
)

// TestAddPlaneSums: the bias gradient's four planes side by side give the
// bits of summing each plane alone, in order, for channel counts with and
// without a remainder of four.
func TestAddPlaneSums(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, k := range []int{1, 4, 6, 16, 7} {
		dy := tensor.New(3, k, 5, 7)
		for i := range dy.Data {
			dy.Data[i] = float32(r.NormFloat64() * math.Exp(4*r.NormFloat64())) // magnitudes far apart
		}
		got, want := make([]float32, k), make([]float32, k)
		for j := range got {
			got[j] = float32(r.NormFloat64())
			want[j] = got[j]
		}
		addPlaneSums(got, dy)
		hw := 5 * 7
		for i := range 3 {
			for j := range k {
				var s float32
				for _, v := range dy.Data[(i*k+j)*hw : (i*k+j+1)*hw] {
					s += v
				}
				want[j] += s
			}
		}
		for j := range k {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Errorf("K %d: channel %d sums to %v, want %v", k, j, got[j], want[j])
			}
		}
	}
}
