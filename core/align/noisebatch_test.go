package align

import (
	"fmt"
	"math"
	"testing"

	"github.com/untied-ml/untied/core/nn"
)

// TestNoiseBatch: with InputNoise.Batch smaller than the data's batch, the
// noise has that many samples and B's gradient is the rules' closed form on
// those samples alone (each term divided by the noise's batch, not the
// data's), within testComposition's error model; a Batch at or above the
// data's draws the data's. On a stride-1 conv the noise lies on the
// layer's input grid for its own batch, which TestNoiseOnGrid's batch case
// checks against dense noise.
func TestNoiseBatch(t *testing.T) {
	rules := map[string][numPrimitives]float64{
		"ia":  {Decay: 1e-3, Amp: 2e-3, Null: 1.5e-3},
		"wm":  {Decay: 1e-3, Amp: 2e-3},
		"all": {Decay: 1e-3, Amp: 2e-3, Null: -1.5e-3, Sparse: 3e-3, Self: 2e-3, NullBack: 0.5e-3},
	}
	for name, coef := range rules {
		var ts []Term
		for p, c := range coef {
			if c != 0 {
				ts = append(ts, Term{Prim: Primitive(p), Coef: Const(c)})
			}
		}
		for _, g := range geoms {
			g.N = 5 // the data's batch
			for _, batch := range []int{2, 5, 9} {
				t.Run(fmt.Sprintf("%s/%v/batch=%d", name, g, batch), func(t *testing.T) {
					testNoiseBatch(t, g, ts, batch)
				})
			}
		}
	}
}

func testNoiseBatch(t *testing.T, g geom, ts []Term, batch int) {
	u, _, w, b, g0 := setup(g, 9)
	spec := Custom("c", ts)
	spec.InputNoise = &InputNoise{Dist: Normal, Sigma: 1, Batch: batch}
	r, err := New(spec, []nn.Untied{u}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	r.AfterBackward(0)
	gn := g
	gn.N = min(batch, g.N)
	noise := r.layers[0].noise
	if noise.Shape[0] != gn.N || noise.Len() != gn.xLen() {
		t.Fatalf("noise shape %v, want a batch of %d", noise.Shape, gn.N)
	}
	x := to64(noise.Dense(nil).Data)
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
			t.Errorf("B.Grad[%d] added %v, want %v on the %d noise samples: |diff| %.3g > tol %.3g", j, got, want[j], gn.N, d, tl)
		}
	}
}

// TestNoiseBatchNeedsNoise: Resolve sets a noise batch on a rule whose input
// is noise and refuses one on a rule that reads the data; New refuses a
// negative one.
func TestNoiseBatchNeedsNoise(t *testing.T) {
	s, err := Resolve(Request{Rule: "ia", NoiseBatch: 32, Scale: 1})
	if err != nil || s.InputNoise == nil || s.InputNoise.Batch != 32 || s.InputNoise.String() != "normal σ=1, 32 a step" {
		t.Errorf("ia with a noise batch of 32: input %v, %v", s.InputNoise, err)
	}
	if p, _ := Preset("ia"); p.InputNoise.Batch != 0 {
		t.Errorf("Resolve changed the ia preset's noise batch to %d", p.InputNoise.Batch)
	}
	if _, err := Resolve(Request{Rule: "wm-data", NoiseBatch: 32, Scale: 1}); err == nil {
		t.Error("wm-data (the data as input) took a noise batch")
	}
	spec, _ := Preset("wm")
	spec.InputNoise.Batch = -1
	u, _, _, _, _ := setup(geoms[0], 1)
	if _, err := New(spec, []nn.Untied{u}, 0, 1); err == nil {
		t.Error("New took a noise batch of -1")
	}
}
