package align

import (
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json from the current code")

type goldenLayer struct {
	B     []float32 `json:"b"`      // B after Before
	BGrad []float32 `json:"b_grad"` // B.Grad after AfterBackward (from 0)
	Loss  float64   `json:"loss"`
}

type goldenFile struct {
	Rule   string        `json:"rule"`
	Terms  string        `json:"terms"`
	Layers []goldenLayer `json:"layers"`
}

var goldenGeoms = []geom{
	{Dense: true, N: 4, In: 6, Out: 5},
	{N: 4, In: 2, Out: 3, H: 5, W: 5, K: 3, S: 2, P: 1},
}

func goldenSpecs() map[string]Spec {
	m := map[string]Spec{}
	for _, n := range Presets() {
		m[n], _ = Preset(n)
	}
	ramp, _ := ParseTerms("decay=1e-3@linear(0:0:0.5),self=2e-3@exp(0.1:0:1),amp=1e-3")
	r := Custom("ramp", ramp)
	r.Scale = 10
	m[r.Name] = r
	return m
}

// goldenRun applies one step of spec to the golden layers (fixed seeds, a
// random task gradient in W.Grad for KP) at step 30 of 100.
func goldenRun(t *testing.T, spec Spec) ([]goldenLayer, *Rule, []nn.Untied) {
	rng := rand.New(rand.NewPCG(2020, 3))
	var us []nn.Untied
	for _, g := range goldenGeoms {
		u := g.layer(rng)
		x := tensor.New(g.xShape()...)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64())
		}
		u.Forward(x, true)
		wp, _ := u.Weights()
		for i := range wp.Grad.Data {
			wp.Grad.Data[i] = float32(rng.NormFloat64())
		}
		us = append(us, u)
	}
	r, err := New(spec, us, 100, 7)
	if err != nil {
		t.Fatal(err)
	}
	r.Before(30)
	r.AfterBackward(30)
	var out []goldenLayer
	for i, u := range us {
		_, bp := u.Weights()
		out = append(out, goldenLayer{B: append([]float32(nil), bp.Value.Data...),
			BGrad: append([]float32(nil), bp.Grad.Data...), Loss: r.Loss()[i]})
	}
	return out, r, us
}

// TestGolden compares one step of every preset (and a noisy and a ramped
// rule) with testdata/<rule>.json, written by `go test -update`. The file
// and this run each err from the exact result by at most the error-model
// bound Σ_p |c_p|·(k_p+5)·u32·gabs_p (+ u32·|dW| for KP's transport; see
// TestPrimitiveGradient), so they may differ by twice that; B (sign rules)
// by 2·u32·|B|, the loss by twice Σ_p |c_p|·2·(k_p+2)·u32·Rabs_p.
func TestGolden(t *testing.T) {
	for name, spec := range goldenSpecs() {
		t.Run(name, func(t *testing.T) {
			got, r, us := goldenRun(t, spec)
			path := filepath.Join("testdata", name+".json")
			if *update {
				b, err := json.MarshalIndent(goldenFile{Rule: name, Terms: FormatTerms(spec.Terms), Layers: got}, "", " ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			var want goldenFile
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if want.Terms != FormatTerms(spec.Terms) || len(want.Layers) != len(got) {
				t.Fatalf("golden file is for terms %q with %d layers, rule has %q with %d", want.Terms, len(want.Layers), FormatTerms(spec.Terms), len(got))
			}
			for i, g := range goldenGeoms {
				wp, _ := us[i].Weights()
				x := to64(us[i].Input().Data)
				if spec.InputNoise != nil {
					x = to64(r.layers[i].noise.Dense(nil).Data)
				}
				ax, aw, ab := abs64(x), abs64(to64(wp.Value.Data)), abs64(to64(got[i].B))
				gtol := make([]float64, len(ab))
				var ltol float64
				for _, tm := range spec.Terms {
					c := math.Abs(r.Coef(tm.Prim, 30))
					ga := abs64(g.refGrad(tm.Prim, ax, aw, ab))
					for j := range gtol {
						gtol[j] += 2 * c * float64(g.gradK(tm.Prim)+5+len(spec.Terms)) * u32 * ga[j]
					}
					ltol += 2 * c * 2 * float64(g.valueK(tm.Prim)+2) * u32 * math.Abs(g.refR(tm.Prim, ax, aw, ab))
				}
				if spec.KolenPollack {
					for j := range gtol {
						gtol[j] += 2 * u32 * math.Abs(float64(wp.Grad.Data[j]))
					}
				}
				w := want.Layers[i]
				for j := range got[i].B {
					if d := math.Abs(float64(got[i].B[j] - w.B[j])); d > 2*u32*math.Abs(float64(w.B[j])) {
						t.Errorf("layer %d: B[%d] = %v, golden %v", i, j, got[i].B[j], w.B[j])
					}
					if d := math.Abs(float64(got[i].BGrad[j] - w.BGrad[j])); d > gtol[j] {
						t.Errorf("layer %d: B.Grad[%d] = %v, golden %v (tol %.3g)", i, j, got[i].BGrad[j], w.BGrad[j], gtol[j])
					}
				}
				if d := math.Abs(got[i].Loss - w.Loss); d > ltol {
					t.Errorf("layer %d: loss = %v, golden %v (tol %.3g)", i, got[i].Loss, w.Loss, ltol)
				}
			}
		})
	}
}
