package metric

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

func TestAngle(t *testing.T) {
	cases := []struct {
		a, b []float32
		want float64
	}{
		{[]float32{1, 0}, []float32{0, 2}, 90},
		{[]float32{1, 1}, []float32{3, 3}, 0},
		{[]float32{1, 2}, []float32{-1, -2}, 180},
		{[]float32{1, 0}, []float32{1, 1}, 45},
		{[]float32{0, 0}, []float32{1, 1}, 90},
	}
	for _, c := range cases {
		if got := Angle(c.a, c.b); math.Abs(got-c.want) > 1e-6 {
			t.Errorf("Angle(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestMeasure(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	d := nn.NewDense("fc", 5, 3, false, r)
	c := nn.NewConv2D("conv", 2, 3, 3, 1, 1, false, r)
	layers := []nn.Untied{d, c}
	inputs := []*tensor.Tensor{tensor.New(4, 5), tensor.New(2, 2, 6, 6)}
	for i, l := range layers {
		x := inputs[i]
		for j := range x.Data {
			x.Data[j] = float32(r.NormFloat64())
		}
		y := l.Forward(x, true)
		dy := tensor.New(y.Shape...)
		for j := range dy.Data {
			dy.Data[j] = float32(r.NormFloat64())
		}
		l.Backward(dy)
	}
	var m Meter
	got := m.Measure(layers, nil)
	for i, g := range got {
		if g.WeightAngle < 60 || g.ProjectionAngle == nil || g.LocalGradAngle == nil || g.GlobalGradAngle != nil {
			t.Errorf("layer %s with independent W, B: %+v, want a wide weight angle and no global angle", g.Name, g)
		}
		if want := []string{"fc", "conv"}[i]; g.Name != want {
			t.Errorf("layer %d name %q, want %q", i, g.Name, want)
		}
	}
	// With B = W every angle is 0 and the norm ratio 1; the W gradient
	// against itself is at 0°.
	exact := make([][]float32, len(layers))
	for i, l := range layers {
		w, b := l.Weights()
		b.Value.CopyFrom(w.Value)
		exact[i] = w.Grad.Data
	}
	for _, g := range m.Measure(layers, exact) {
		if g.WeightAngle > 1e-3 || *g.ProjectionAngle > 1e-3 || *g.LocalGradAngle > 1e-3 || *g.GlobalGradAngle > 1e-3 || math.Abs(g.NormRatio-1) > 1e-6 {
			t.Errorf("layer %s with B = W: %+v, want zero angles and ratio 1", g.Name, g)
		}
	}
}
