package golden

// Layer 1, identities that need no files: with B = W the feedback route is
// backprop.
//
// Tolerance: none, bit for bit. With B a bitwise copy of W, the two routes
// run the same float32 operations in the same order on the same numbers:
// the layer calls the same Transpose with B.Value instead of W.Value, and
// the conv engine's reductions have a fixed order for a fixed GOMAXPROCS
// (gemm's do not depend on it). Any difference at all means the routes
// differ in something other than the choice of weights. (Were a kernel ever
// to reorder sums between the two calls, the bound to switch to is the
// layer's γ_k·Σ|terms| of linear_test.go.)

import (
	"testing"

	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

// checkIdentity ties B to W in m, runs step on both routes and compares
// the input gradient and every parameter gradient bit for bit. It also
// checks that no B received a gradient.
func checkIdentity(t *testing.T, m nn.Module, run func() *tensor.Tensor) {
	t.Helper()
	tieB(m)
	nn.SetRoute(m, nn.BackpropRoute)
	nn.ZeroGrad(m)
	want := run().Clone()
	wantGrads := grads(m)
	nn.SetRoute(m, nn.FeedbackRoute)
	nn.ZeroGrad(m)
	got := run()
	if err := equalBits(got.Data[:got.Len()], want.Data[:want.Len()]); err != nil {
		t.Errorf("input gradient, feedback route with B = W vs backprop: %v", err)
	}
	for i, p := range m.Params() {
		if err := equalBits(p.Grad.Data, wantGrads[i].Data); err != nil {
			t.Errorf("%s gradient, feedback route with B = W vs backprop: %v", p.Name, err)
		}
		if p.Kind == nn.Feedback {
			checkZero(t, p.Name+" gradient", p.Grad.Data)
		}
	}
}

func TestIdentityDense(t *testing.T) {
	for _, bias := range []bool{false, true} {
		r := newRand(2000)
		d := nn.NewDense("d", 7, 5, bias, r)
		x, dy := tensorOf(normals(r, 3*7), 3, 7), tensorOf(normals(r, 3*5), 3, 5)
		checkIdentity(t, d, func() *tensor.Tensor { d.Forward(x, true); return d.Backward(dy) })
	}
}

func TestIdentityConv2D(t *testing.T) {
	const n = 3
	for ci, c := range convCases {
		t.Run(c.name, func(t *testing.T) {
			g := c.g
			r := newRand(2100 + uint64(ci))
			cv := nn.NewConv2D("c", g.C, g.K, g.KH, g.Stride, g.Pad, c.bias, r)
			x := tensorOf(normals(r, n*g.C*g.H*g.W), n, g.C, g.H, g.W)
			dy := tensorOf(normals(r, n*g.K*g.OutH()*g.OutW()), n, g.K, g.OutH(), g.OutW())
			checkIdentity(t, cv, func() *tensor.Tensor { cv.Forward(x, true); return cv.Backward(dy) })
		})
	}
}

// identityNets are narrow versions of the paper's networks on 28×28×1
// inputs: every untied layer type, BN in training mode, both residual
// block kinds, projection shortcuts at stride 1 and 2.
var identityNets = []struct {
	cfg   model.Config
	batch int
}{
	{model.Config{Arch: "lenet", Classes: 10, InChannels: 1, InputSize: 28, Seed: 3}, 4},
	{model.Config{Arch: "resnet18", Width: 4, Classes: 10, InChannels: 1, InputSize: 28, SmallStem: true, Seed: 4}, 3},
	{model.Config{Arch: "resnet50", Width: 4, Classes: 10, InChannels: 1, InputSize: 28, SmallStem: true, Seed: 5}, 2},
	{model.Config{Arch: "resnet50v2", Width: 4, Classes: 10, InChannels: 1, InputSize: 32, Seed: 6}, 2},
}

func TestIdentityNetworks(t *testing.T) {
	for _, c := range identityNets {
		t.Run(c.cfg.Arch, func(t *testing.T) {
			m := newNet(t, c.cfg)
			x, labels := batch(newRand(c.cfg.Seed), c.cfg, c.batch)
			checkIdentity(t, m, func() *tensor.Tensor { _, dx := step(m, x, labels); return dx })
		})
	}
}
