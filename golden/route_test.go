package golden

// Layer 1, identities: the feedback route reads B and not W.

import (
	"math"
	"testing"

	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

// TestFeedbackRouteIgnoresW: for one layer, with the same x and dy,
// replacing W changes neither the input gradient (dy through B) nor, since
// dW = dyᵀ·x, the weight gradient; both stay bit for bit equal (the same
// operations on the same numbers). Replacing B changes the input gradient.
func TestFeedbackRouteIgnoresW(t *testing.T) {
	const n = 2
	r := newRand(2200)
	layers := []nn.Untied{nn.NewDense("d", 6, 4, true, r)}
	inputs := []*tensor.Tensor{tensorOf(normals(r, n*6), n, 6)}
	for _, c := range convCases {
		g := c.g
		layers = append(layers, nn.NewConv2D(c.name, g.C, g.K, g.KH, g.Stride, g.Pad, c.bias, r))
		inputs = append(inputs, tensorOf(normals(r, n*g.C*g.H*g.W), n, g.C, g.H, g.W))
	}
	for li, l := range layers {
		x := inputs[li]
		nn.SetRoute(l, nn.FeedbackRoute)
		dy := tensorOf(normals(r, l.Forward(x, true).Len()), l.Forward(x, true).Shape...)
		run := func() (dx, dw *tensor.Tensor) {
			nn.ZeroGrad(l)
			l.Forward(x, true)
			dx = l.Backward(dy).Clone()
			w, _ := l.Weights()
			return dx, w.Grad.Clone()
		}
		dx0, dw0 := run()
		w, b := l.Weights()
		w.Value.CopyFrom(tensorOf(normals(r, w.Value.Len()), w.Value.Shape...))
		dx1, dw1 := run()
		if err := equalBits(dx1.Data, dx0.Data); err != nil {
			t.Errorf("layer %d: new W changed the feedback-route input gradient: %v", li, err)
		}
		if err := equalBits(dw1.Data, dw0.Data); err != nil {
			t.Errorf("layer %d: new W changed the weight gradient dyᵀx: %v", li, err)
		}
		b.Value.CopyFrom(tensorOf(normals(r, b.Value.Len()), b.Value.Shape...))
		dx2, _ := run()
		if relDiff(dx2, dx0) < 0.1 {
			t.Errorf("layer %d: new B changed the feedback-route input gradient by %.3g (relative), want a change of order 1", li, relDiff(dx2, dx0))
		}
	}
}

// relDiff is ‖a − b‖/‖b‖.
func relDiff(a, b *tensor.Tensor) float64 {
	var d, s float64
	for i, v := range b.Data[:b.Len()] {
		e := float64(a.Data[i]) - float64(v)
		d += e * e
		s += float64(v) * float64(v)
	}
	return math.Sqrt(d / s)
}

// TestNetworkFeedbackRouteUsesB: in whole networks, redrawing every B (W
// untouched, so the forward pass is the same) changes the input gradient
// by a relative amount of order 1 on the feedback route, and not by a
// single bit on the backprop route. Redrawing the B of one layer only (the
// last, or one in the middle) changes it too.
func TestNetworkFeedbackRouteUsesB(t *testing.T) {
	cfgs := []model.Config{
		{Arch: "lenet", Classes: 10, InChannels: 1, InputSize: 28, Seed: 7},
		{Arch: "resnet18", Width: 4, Classes: 10, InChannels: 1, InputSize: 28, SmallStem: true, Seed: 8},
	}
	for _, cfg := range cfgs {
		t.Run(cfg.Arch, func(t *testing.T) {
			m := newNet(t, cfg)
			r := newRand(cfg.Seed)
			x, labels := batch(r, cfg, 2)
			untied := nn.UntiedLayers(m)
			redraw := func(ls ...nn.Untied) {
				for _, l := range ls {
					_, b := l.Weights()
					b.Value.CopyFrom(tensorOf(scale(math.Sqrt(2/float64(b.Value.Len()/b.Value.Shape[0])), normals(r, b.Value.Len())), b.Value.Shape...))
				}
			}
			for _, route := range routes {
				nn.SetRoute(m, route)
				_, dx0 := step(m, x, labels)
				for _, which := range []struct {
					name string
					ls   []nn.Untied
				}{{"last layer", untied[len(untied)-1:]}, {"a middle layer", untied[len(untied)/2 : len(untied)/2+1]}, {"every layer", untied}} {
					saved := make([]*tensor.Tensor, len(which.ls))
					for i, l := range which.ls {
						_, b := l.Weights()
						saved[i] = b.Value.Clone()
					}
					redraw(which.ls...)
					_, dx1 := step(m, x, labels)
					for i, l := range which.ls {
						_, b := l.Weights()
						b.Value.CopyFrom(saved[i])
					}
					if route == nn.BackpropRoute {
						if err := equalBits(dx1.Data, dx0.Data); err != nil {
							t.Errorf("backprop route: redrawing B of %s changed the input gradient: %v", which.name, err)
						}
					} else if d := relDiff(dx1, dx0); d < 0.1 {
						t.Errorf("feedback route: redrawing B of %s changed the input gradient by %.3g (relative), want a change of order 1", which.name, d)
					} else {
						t.Logf("feedback route: redrawing B of %s changed the input gradient by %.3g (relative)", which.name, d)
					}
				}
			}
		})
	}
}
