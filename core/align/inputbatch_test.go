package align

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

// inputBatchRules are the compositions TestInputBatch runs: IA's, WM's,
// AA's and all six terms.
var inputBatchRules = map[string][numPrimitives]float64{
	"ia":  {Decay: 1e-3, Amp: 2e-3, Null: 1.5e-3},
	"wm":  {Decay: 1e-3, Amp: 2e-3},
	"aa":  {Sparse: 1e-3, Amp: 2e-3},
	"all": {Decay: 1e-3, Amp: 2e-3, Null: -1.5e-3, Sparse: 3e-3, Self: 2e-3, NullBack: 0.5e-3},
}

func termsOf(coef [numPrimitives]float64) []Term {
	var ts []Term
	for p, c := range coef {
		if c != 0 {
			ts = append(ts, Term{Prim: Primitive(p), Coef: Const(c)})
		}
	}
	return ts
}

// TestInputBatch: with InputBatch n below the batch, B's gradient is the
// closed form on n samples alone (each term divided by n, not the batch),
// within testComposition's error model: n noise samples under InputNoise,
// else the first n samples of the layer's input, dense or on the conv's
// input grid. An InputBatch at or above the batch reads all of it.
func TestInputBatch(t *testing.T) {
	for name, coef := range inputBatchRules {
		for _, g := range geoms {
			g.N = 5 // the batch
			for _, batch := range []int{2, 5, 9} {
				for _, in := range []string{"noise", "data", "data-on-grid"} {
					t.Run(fmt.Sprintf("%s/%v/batch=%d/%s", name, g, batch, in), func(t *testing.T) {
						testInputBatch(t, g, termsOf(coef), batch, in)
					})
				}
			}
		}
	}
}

func testInputBatch(t *testing.T, g geom, ts []Term, batch int, in string) {
	u, x, w, b, g0 := setup(g, 9)
	if in == "data-on-grid" && !forwardOnGrid(u, g, x) {
		t.Skip("no input grid")
	}
	spec := Custom("c", ts)
	spec.InputBatch = batch
	if in == "noise" {
		spec.InputNoise = &InputNoise{Dist: Normal, Sigma: 1}
	}
	r, err := New(spec, []nn.Untied{u}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	r.AfterBackward(0)
	gn := g
	gn.N = min(batch, g.N)
	if in == "noise" {
		noise := r.layers[0].noise
		if noise.Shape[0] != gn.N || noise.Len() != gn.xLen() {
			t.Fatalf("noise shape %v, want a batch of %d", noise.Shape, gn.N)
		}
		x = to64(noise.Dense(nil).Data)
	} else {
		x = x[:gn.xLen()]
	}
	xa, wa, ba := abs64(x), abs64(w), abs64(b)
	want := make([]float64, len(b))
	tol := make([]float64, len(b))
	for _, tm := range ts {
		p, c := tm.Prim, tm.Coef.Value
		gr, ga := gn.refGrad(p, x, w, b), gn.refGrad(p, xa, wa, ba)
		for j := range want {
			want[j] += c * gr[j]
			tol[j] += float64(gn.gradK(p)+11) * u32 * math.Abs(c*ga[j]) // as testComposition
		}
	}
	_, bp := u.Weights()
	for j, v := range bp.Grad.Data {
		got := float64(v) - g0[j]
		if d, tl := math.Abs(got-want[j]), tol[j]+2*u32*math.Abs(g0[j]); d > tl {
			t.Errorf("B.Grad[%d] added %v, want %v on %d samples: |diff| %.3g > tol %.3g", j, got, want[j], gn.N, d, tl)
		}
	}
}

// forwardOnGrid runs u forward again on x laid out on its input grid, as
// a BatchNorm before it would leave it, and reports whether u has one.
func forwardOnGrid(u nn.Untied, g geom, x []float64) bool {
	f, ok := u.(nn.Fused)
	if !ok || f.InputGrid(g.xShape()) == nil {
		return false
	}
	xt := tensor.OnGrid(nil, f.InputGrid(g.xShape()), g.xShape()...)
	for i := range g.N {
		for c := range g.In {
			xt.SetPlane(i, c, to32(x[(i*g.In+c)*g.H*g.W:][:g.H*g.W]))
		}
	}
	u.Forward(xt, true)
	return true
}

func to32(v []float64) []float32 {
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return f
}

// TestInputBatchLeavesLayerAlone: with InputBatch below the batch, under
// Normalize and Center (which rescale and centre what the terms read), a
// rule reading the data's first samples leaves the layer's input and
// forward projection as they were, bit for bit, dense or on the conv's
// input grid, and gives B a finite gradient.
func TestInputBatchLeavesLayerAlone(t *testing.T) {
	for _, g := range geoms {
		g.N = 5 // the batch, of which the rule reads 2
		for _, onGrid := range []bool{false, true} {
			u, x, _, _, _ := setup(g, 12)
			if onGrid && !forwardOnGrid(u, g, x) {
				continue
			}
			in0 := slices.Clone(u.Input().Data)
			var proj0 []float32
			if f, ok := u.(nn.Fused); ok && f.Projection() != nil {
				proj0 = slices.Clone(f.Projection().Data)
			}
			spec := Custom("c", termsOf(inputBatchRules["all"]))
			spec.InputBatch, spec.Normalize, spec.Center = 2, true, true
			r, err := New(spec, []nn.Untied{u}, 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			r.AfterBackward(0)
			what := fmt.Sprintf("%v on a grid %v", g, onGrid)
			if !slices.Equal(u.Input().Data, in0) {
				t.Errorf("%s: the layer's input changed", what)
			}
			if f, ok := u.(nn.Fused); ok && proj0 != nil && !slices.Equal(f.Projection().Data, proj0) {
				t.Errorf("%s: the layer's projection changed", what)
			}
			_, bp := u.Weights()
			for j, v := range bp.Grad.Data {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("%s: B.Grad[%d] = %v", what, j, v)
				}
			}
		}
	}
}

// TestInputBatchWholeIsExact: an InputBatch of the whole batch gives B the
// same bits as none, though it takes the plain passes (no Pb from the
// forward pass), which give what the fused ones give.
func TestInputBatchWholeIsExact(t *testing.T) {
	for name, coef := range inputBatchRules {
		for _, g := range geoms {
			var grads [2][]float32
			for k, batch := range []int{0, g.N} {
				rng := rand.New(rand.NewPCG(4, 4))
				u := g.layer(rng)
				spec := Custom("c", termsOf(coef))
				spec.InputBatch = batch
				r, err := New(spec, []nn.Untied{u}, 0, 1)
				if err != nil {
					t.Fatal(err)
				}
				x := tensor.New(g.xShape()...)
				for i := range x.Data {
					x.Data[i] = float32(rng.NormFloat64())
				}
				u.Forward(x, true)
				r.AfterBackward(0)
				_, bp := u.Weights()
				grads[k] = bp.Grad.Data
			}
			if !slices.Equal(grads[0], grads[1]) {
				t.Errorf("%s %v: B's gradient with InputBatch = the batch differs from the whole batch's", name, g)
			}
		}
	}
}

// TestInputBatchNeedsInputTerms: Resolve sets an input batch on a rule with
// a term that reads the input and refuses one on a rule without; New
// refuses a negative one. Results record it with the input.
func TestInputBatchNeedsInputTerms(t *testing.T) {
	s, err := Resolve(Request{Rule: "ia", InputBatch: 32, Scale: 1})
	if err != nil || s.InputBatch != 32 || s.Input() != "normal σ=1, 32 a step" {
		t.Errorf("ia with an input batch of 32: %d, %q, %v", s.InputBatch, s.Input(), err)
	}
	if s, err := Resolve(Request{Rule: "aa", InputBatch: 16, Scale: 1}); err != nil || s.Input() != "data, 16 a step" {
		t.Errorf("aa with an input batch of 16: %q, %v", s.Input(), err)
	}
	for _, rule := range []string{"sa", "fa", "kp"} {
		if _, err := Resolve(Request{Rule: rule, InputBatch: 32, Scale: 1}); err == nil {
			t.Errorf("%s (no term reads the input) took an input batch", rule)
		}
	}
	if _, err := Resolve(Request{Rule: "aa", InputBatch: 1, Center: true, Scale: 1}); err == nil {
		t.Error("aa took an input batch of 1 with Center (one sample centred is zero)")
	}
	spec, _ := Preset("wm")
	spec.InputBatch = -1
	u, _, _, _, _ := setup(geoms[0], 1)
	if _, err := New(spec, []nn.Untied{u}, 0, 1); err == nil {
		t.Error("New took an input batch of -1")
	}
}
