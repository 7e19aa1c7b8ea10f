package align

import (
	"math"
	"testing"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/optim"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/core/train"
)

// lateRule hides BeforeBackward, so AfterBackward computes every alignment
// gradient itself, as when a caller drives the rule without train.Trainer.
type lateRule struct{ r *Rule }

func (l lateRule) Before(step int)        { l.r.Before(step) }
func (l lateRule) AfterBackward(step int) { l.r.AfterBackward(step) }

// TestEarlyMatchesLate: with train.Trainer, BeforeBackward prepares the
// alignment gradients and the conv layers compute Pb with Pf and
// Filter(x, D) with W's gradient (FilterAlong) from one lowering of x
// each. Where B.Grad holds nothing before that Filter (no Decay or Self
// beside it), every sum is the same, so the steps are bit for bit those of
// the rule without BeforeBackward; the reference pass of StepWithReference
// runs the layers' Backward twice and must not count D twice.
func TestEarlyMatchesLate(t *testing.T) {
	x, labels := dfaBatch(8, 1)
	for _, name := range []string{"aa", "wm", "ia", "ia-sparse", "aa-center", "aa-raw"} {
		t.Run(name, func(t *testing.T) {
			run := func(early bool) nn.Module {
				net, _, _ := probedNet(3)
				spec := earlySpec(t, name)
				r, err := New(spec, nn.UntiedLayers(net), 10, 1)
				if err != nil {
					t.Fatal(err)
				}
				opt, err := optim.NewSGD(net.Params(), optim.SGDConfig{LR: optim.Constant(0.1)})
				if err != nil {
					t.Fatal(err)
				}
				var tr *train.Trainer
				if early {
					tr = train.New(net, r, opt)
				} else {
					tr = train.New(net, lateRule{r}, opt)
				}
				exact := make([][]float32, len(nn.UntiedLayers(net)))
				for s := range 3 {
					if s == 1 {
						tr.StepWithReference(x, labels, exact)
						continue
					}
					tr.Step(x, labels)
				}
				return net
			}
			a, b := run(true).Params(), run(false).Params()
			for i := range a {
				for j, v := range a[i].Value.Data {
					if w := b[i].Value.Data[j]; math.Float32bits(v) != math.Float32bits(w) {
						t.Fatalf("%s[%d] = %v early, %v late", a[i].Name, j, v, w)
					}
				}
			}
		})
	}
}

func earlySpec(t *testing.T, name string) Spec {
	t.Helper()
	base := name
	if name == "aa-center" || name == "aa-raw" {
		base = "aa"
	}
	s, err := Preset(base)
	if err != nil {
		t.Fatal(err)
	}
	s.Normalize = name != "aa-raw"
	s.Center = name == "aa-center"
	return s
}

// TestEarlyWithDecay: beside Decay (ia-bwdnull), B.Grad holds 2c·B when
// Filter(x, D) adds to it, and the early path adds Filter's sum to it at
// once rather than block by block: the two differ by rounding only, at
// most that of a sum of k+1 terms, k = N·OH·OW, bounded by γ_{k+1} times
// |2c·B| + Filter(|x|, |D|).
func TestEarlyWithDecay(t *testing.T) {
	x, labels := dfaBatch(8, 1)
	type out struct {
		g    [][]float32 // B.Grad of each layer
		bnds [][]float64 // the bound, for layers with a Filter(x, D) call
	}
	run := func(early bool) out {
		net, _, _ := probedNet(3)
		r, err := New(earlySpec(t, "ia-bwdnull"), nn.UntiedLayers(net), 10, 1)
		if err != nil {
			t.Fatal(err)
		}
		var tr *train.Trainer
		if early {
			tr = train.New(net, r)
		} else {
			tr = train.New(net, lateRule{r})
		}
		tr.Step(x, labels)
		var o out
		for _, l := range r.layers {
			o.g = append(o.g, append([]float32(nil), l.b.Grad.Data...))
			// The bound's magnitudes, from the late rule's own D.
			var bnd []float64
			if l.plan.filter == filterSum {
				ax, ad := absOf(l.plan.x), absOf(l.filterD)
				af := make([]float32, l.b.Grad.Len())
				l.u.Filter(ax, ad, af, 0)
				k := float64(l.filterD.Len() / l.w.Value.Shape[0])
				gamma := (k + 1) * 0x1p-24 / (1 - (k+1)*0x1p-24)
				for j, v := range l.b.Value.Data {
					bnd = append(bnd, 2*gamma*(math.Abs(2*r.coef[Decay]*float64(v))+float64(af[j])))
				}
			}
			o.bnds = append(o.bnds, bnd)
		}
		return o
	}
	e, l := run(true), run(false)
	for i := range e.g {
		for j, v := range e.g[i] {
			tol := 0.0
			if l.bnds[i] != nil {
				tol = l.bnds[i][j]
			}
			if d := math.Abs(float64(v - l.g[i][j])); d > tol {
				t.Errorf("layer %d: B.Grad[%d] = %v early, %v late (tol %.3g)", i, j, v, l.g[i][j], tol)
			}
		}
	}
}

func absOf(t *tensor.Tensor) *tensor.Tensor {
	a := tensor.New(t.Shape...)
	for i, v := range t.Data[:t.Len()] {
		a.Data[i] = float32(math.Abs(float64(v)))
	}
	return a
}
