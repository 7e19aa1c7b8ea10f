package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/untied-ml/untied/core/tensor"
)

// TestBatchNormReLU: a BatchNorm with ReLU set gives, bit for bit, what a
// BatchNorm followed by a ReLU gives: outputs, input gradients, γ and β
// gradients and running statistics, in training and in evaluation; and so
// does one writing its output on a conv's input grid (GridFor).
func TestBatchNormReLU(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	fill := func(x *tensor.Tensor) {
		for i := range x.Data {
			x.Data[i] = float32(r.NormFloat64())
		}
	}
	for _, shape := range [][]int{{3, 4, 5, 5}, {2, 3, 7, 7}, {5, 2, 1, 1}} {
		for _, train := range []bool{true, false} {
			what := fmt.Sprintf("shape %v train %v", shape, train)
			fused := NewBatchNorm("bn", shape[1], false)
			fused.ReLU = true
			gridded := NewBatchNorm("bn", shape[1], false)
			gridded.ReLU = true
			gridded.GridFor = NewConv2D("conv", shape[1], 4, 3, 1, 1, false, r).InputGrid
			plain := NewBatchNorm("bn", shape[1], false)
			pair := NewSequential(plain, &ReLU{})
			for c := range shape[1] {
				for _, bn := range []*BatchNorm{fused, gridded, plain} {
					bn.Gamma.Value.Data[c] = float32(0.5 + 0.1*float64(c))
					bn.Beta.Value.Data[c] = float32(0.3 - 0.2*float64(c)) // some outputs clipped
				}
			}
			x := tensor.New(shape...)
			fill(x)
			dy := tensor.New(shape...)
			fill(dy)
			for step := 0; step < 2; step++ { // the second reuses the buffers
				want := pair.Forward(x, train).Data
				same(t, what+" y", fused.Forward(x, train).Data, want)
				yg := gridded.Forward(x, train)
				if yg.Grid == nil && shape[2] > 1 {
					t.Fatalf("%s: the output is not on the conv's grid", what)
				}
				same(t, what+" y on a grid", yg.Dense(nil).Data, want)
				wantDx := pair.Backward(dy).Data
				same(t, what+" dx", fused.Backward(dy).Data, wantDx)
				same(t, what+" dx, output on a grid", gridded.Backward(dy).Data, wantDx)
				same(t, what+" dγ", fused.Gamma.Grad.Data, plain.Gamma.Grad.Data)
				same(t, what+" dβ", fused.Beta.Grad.Data, plain.Beta.Grad.Data)
				same(t, what+" running mean", fused.RunMean, plain.RunMean)
				same(t, what+" running variance", fused.RunVar, plain.RunVar)
			}
		}
	}
}

func same(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}
