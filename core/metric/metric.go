package metric

import (
	"math"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

// Angle is the angle in degrees between a and b as flat vectors, from the
// cosine accumulated in float64; 90 if either is zero.
func Angle(a, b []float32) float64 {
	var ab, aa, bb float64
	b = b[:len(a)]
	for i, v := range a {
		x, y := float64(v), float64(b[i])
		ab += x * y
		aa += x * x
		bb += y * y
	}
	if aa == 0 || bb == 0 {
		return 90
	}
	c := max(-1, min(1, ab/math.Sqrt(aa*bb)))
	return math.Acos(c) * 180 / math.Pi
}

// Layer is the alignment of one untied layer at one step.
type Layer struct {
	Name        string  `json:"layer"`
	WeightAngle float64 `json:"weight_angle"` // angle(W, B)
	NormRatio   float64 `json:"norm_ratio"`   // ‖B‖/‖W‖
	// The batch-dependent angles are nil when not measured.
	ProjectionAngle *float64 `json:"projection_angle,omitempty"`  // angle(x∘W, x∘B) on the batch
	LocalGradAngle  *float64 `json:"local_grad_angle,omitempty"`  // angle(dy through B, dy through W)
	GlobalGradAngle *float64 `json:"global_grad_angle,omitempty"` // angle(the rule's W gradient, backprop's)
}

// Meter computes Layer metrics, keeping its scratch tensors between calls.
type Meter struct {
	pf, pb, gb, gw []*tensor.Tensor
}

// Measure returns the metrics of each layer from its last Forward input and
// Backward upstream gradient. exact, if not nil, holds per layer the exact
// backprop gradient of W on the same batch, compared with W.Grad (the
// rule's task gradient); otherwise GlobalGradAngle is nil. Layers that have
// not run forward and backward get nil batch-dependent angles.
func (m *Meter) Measure(layers []nn.Untied, exact [][]float32) []Layer {
	for len(m.pf) < len(layers) {
		m.pf, m.pb, m.gb, m.gw = append(m.pf, nil), append(m.pb, nil), append(m.gb, nil), append(m.gw, nil)
	}
	out := make([]Layer, len(layers))
	for i, l := range layers {
		w, b := feedback(l)
		nw := tensor.Norm(w.Value.Data)
		r := Layer{Name: name(w), WeightAngle: Angle(w.Value.Data, b.Value.Data),
			NormRatio: tensor.Norm(b.Value.Data) / nw}
		if x := l.Input(); x != nil {
			m.pf[i] = l.Apply(x, w.Value.Data, m.pf[i])
			m.pb[i] = l.Apply(x, b.Value.Data, m.pb[i])
			r.ProjectionAngle = ptr(Angle(m.pf[i].Data, m.pb[i].Data))
			if dy := l.OutputGrad(); dy != nil {
				m.gb[i] = l.Transpose(dy, b.Value.Data, m.gb[i])
				m.gw[i] = l.Transpose(dy, w.Value.Data, m.gw[i])
				r.LocalGradAngle = ptr(Angle(m.gb[i].Data, m.gw[i].Data))
			}
		}
		if exact != nil && exact[i] != nil {
			r.GlobalGradAngle = ptr(Angle(w.Grad.Data, exact[i]))
		}
		out[i] = r
	}
	return out
}

// feedback returns W and the weights that carry the error down: B on the
// feedback route, W itself on the backprop route (so every angle is 0 there).
func feedback(l nn.Untied) (w, b *nn.Param) {
	w, b = l.Weights()
	if l.Route() == nn.BackpropRoute {
		return w, w
	}
	return w, b
}

// name is the layer's name, its W parameter's name less the ".W".
func name(w *nn.Param) string {
	if n := len(w.Name); n > 2 && w.Name[n-2:] == ".W" {
		return w.Name[:n-2]
	}
	return w.Name
}

// MeanWeightAngle is the mean weight angle over layers, in degrees.
func MeanWeightAngle(layers []nn.Untied) float64 {
	if len(layers) == 0 {
		return math.NaN()
	}
	var s float64
	for _, l := range layers {
		w, b := feedback(l)
		s += Angle(w.Value.Data, b.Value.Data)
	}
	return s / float64(len(layers))
}

func ptr(v float64) *float64 { return &v }
