package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

// small is a narrow configuration of arch for 28×28×1 inputs and 10
// classes, fast enough for unit tests.
func small(arch string) Config {
	size := 28
	if arch == "lenet-mnist" {
		size = lenetMNISTSize // the only size it takes
	}
	return Config{Arch: arch, Width: 4, Classes: 10, InChannels: 1, InputSize: size, SmallStem: true, Seed: 1}
}

// deep reports the ResNets that -short skips or shrinks.
func deep(arch string) bool {
	switch arch {
	case "resnet101", "resnet152", "resnet101v2", "resnet152v2", "resnet56":
		return true
	}
	return false
}

func randTensor(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(r.NormFloat64())
	}
	return t
}

// stemConv returns the first untied layer of m, the one with NoInputGrad.
func stemConv(t *testing.T, m nn.Module) *nn.Conv2D {
	t.Helper()
	c, ok := nn.UntiedLayers(m)[0].(*nn.Conv2D)
	if !ok {
		t.Fatalf("first untied layer is %T, want *nn.Conv2D", nn.UntiedLayers(m)[0])
	}
	return c
}

// TestForwardBackwardShapes runs a training step's forward and backward
// pass through every architecture and checks the shapes that come out.
func TestForwardBackwardShapes(t *testing.T) {
	for _, arch := range Archs() {
		t.Run(arch, func(t *testing.T) {
			if deep(arch) && testing.Short() {
				t.Skip("deep ResNet in -short mode")
			}
			cfg := small(arch)
			m, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(3, 3))
			x := randTensor(r, 2, 1, cfg.InputSize, cfg.InputSize)
			y := m.Forward(x, true)
			if len(y.Shape) != 2 || y.Shape[0] != 2 || y.Shape[1] != cfg.Classes {
				t.Fatalf("Forward output shape %v, want [2 %d]", y.Shape, cfg.Classes)
			}
			for i, v := range y.Data[:y.Len()] {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("logit %d = %v", i, v)
				}
			}
			dy := randTensor(r, 2, cfg.Classes)
			if dx := m.Backward(dy); dx != nil {
				t.Errorf("Backward = tensor of shape %v, want nil (stem has NoInputGrad)", dx.Shape)
			}
			stem := stemConv(t, m)
			if tensor.Norm(stem.W.Grad.Data) == 0 {
				t.Errorf("%s got no gradient", stem.W.Name)
			}

			stem.NoInputGrad = false
			nn.ZeroGrad(m)
			m.Forward(x, true)
			dx := m.Backward(dy)
			if dx == nil || !dx.SameShape(x.Shape...) {
				t.Fatalf("Backward with the stem's input gradient = %v, want shape %v", dx, x.Shape)
			}
		})
	}
}

// TestOtherInputs runs the ImageNet ResNets with the 7×7/2 stem and
// max-pool at their smallest input and at one the strides do not divide,
// and LeNet on 32×32 colour images (no padding on conv1) and its smallest
// input.
func TestOtherInputs(t *testing.T) {
	tests := []Config{
		{Arch: "lenet", InputSize: 32},
		{Arch: "lenet", InputSize: 16},
		{Arch: "lenet-mnist", InputSize: 32},
	}
	for _, arch := range []string{"resnet18", "resnet50", "resnet50v2"} {
		for _, size := range []int{32, 45} {
			tests = append(tests, Config{Arch: arch, Width: 2, InputSize: size})
		}
	}
	for _, cfg := range tests {
		cfg.Classes, cfg.InChannels, cfg.Seed = 3, 3, 2
		m, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		x := randTensor(rand.New(rand.NewPCG(4, 4)), 2, 3, cfg.InputSize, cfg.InputSize)
		if y := m.Forward(x, true); !y.SameShape(2, 3) {
			t.Errorf("%s on %d×%d: output shape %v, want [2 3]", cfg.Arch, cfg.InputSize, cfg.InputSize, y.Shape)
		}
		m.Backward(tensor.New(2, 3))
	}
}

// identity stands in for the ReLUs in TestInputGradient.
type identity struct{}

func (identity) Forward(x *tensor.Tensor, train bool) *tensor.Tensor { return x }
func (identity) Backward(dy *tensor.Tensor) *tensor.Tensor           { return dy }
func (identity) Params() []*nn.Param                                 { return nil }

// linearize replaces every ReLU of m by the identity (and takes BatchNorm's
// off), so that in evaluation mode (BN affine) a ResNet without max-pool is
// an affine map.
func linearize(m nn.Module) {
	nn.Walk(m, func(l nn.Module) {
		switch l := l.(type) {
		case *nn.BatchNorm:
			l.ReLU = false
		case *nn.Sequential:
			for i, c := range l.Layers {
				if _, ok := c.(*nn.ReLU); ok {
					l.Layers[i] = identity{}
				}
			}
		case *nn.Residual:
			l.PostReLU = false
		}
	})
}

// TestInputGradient checks each ResNet's wiring (residual sums, projection
// and identity shortcuts, pre-activations, the order of Backward calls)
// against a finite difference. With its ReLUs replaced by identities, no
// max-pool (small stem), BN in evaluation mode and the backprop route, the
// network is affine in its input, so for L(x) = ⟨r, f(x)⟩ and any v,
// (L(x+v) − L(x−v))/2 = ⟨Backward(r), v⟩ exactly, up to float32 rounding.
// Branch BNs get random γ, β and running statistics, so no branch is
// silenced by a zero γ and BN's eval-mode scale is exercised.
func TestInputGradient(t *testing.T) {
	for _, arch := range Archs() {
		if arch == "lenet" || arch == "lenet-mnist" { // plain chains with max-pools: nothing to wire
			continue
		}
		t.Run(arch, func(t *testing.T) {
			cfg := Config{Arch: arch, Width: 2, Classes: 5, InChannels: 2, InputSize: 8, SmallStem: true, Seed: 5}
			m, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(6, 6))
			depth := 0
			nn.Walk(m, func(l nn.Module) {
				switch l := l.(type) {
				case *nn.BatchNorm:
					for c := range l.C {
						l.Gamma.Value.Data[c] = float32(0.2 + 0.3*r.Float64())
						l.Beta.Value.Data[c] = float32(0.1 * r.NormFloat64())
						l.RunMean[c] = float32(0.1 * r.NormFloat64())
						l.RunVar[c] = float32(0.5 + r.Float64())
					}
					depth++
				case nn.Untied:
					depth++
				}
			})
			linearize(m)
			nn.SetRoute(m, nn.BackpropRoute)
			stemConv(t, m).NoInputGrad = false

			x := randTensor(r, 2, 2, 8, 8)
			v := randTensor(r, 2, 2, 8, 8)
			rw := randTensor(r, 2, 5)
			loss := func(x *tensor.Tensor) (l, mag float64) {
				y := m.Forward(x, false)
				for i, yi := range y.Data[:y.Len()] {
					l += float64(yi) * float64(rw.Data[i])
					mag += math.Abs(float64(yi) * float64(rw.Data[i]))
				}
				return l, mag
			}
			loss(x)
			g := m.Backward(rw).Clone()
			want := tensor.Dot(g.Data, v.Data)

			xp, xm := x.Clone(), x.Clone()
			tensor.Add(xp.Data, v.Data)
			tensor.Axpy(-1, v.Data, xm.Data)
			lp, magp := loss(xp)
			lm, magm := loss(xm)
			got := (lp - lm) / 2
			// Every layer (conv, dense or BN) on the way adds a relative
			// float32 rounding error of about 2⁻²⁴ per accumulated term;
			// bound the total by depth · 2⁻²⁴ times the terms' magnitudes.
			tol := float64(depth) * math.Exp2(-24) * ((magp+magm)/2 + math.Abs(want))
			if math.Abs(got-want) > tol {
				t.Errorf("directional derivative = %v, Backward gives %v (tolerance %.2g)", got, want, tol)
			}
		})
	}
}
