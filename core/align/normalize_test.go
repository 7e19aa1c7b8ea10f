package align

import (
	"math"
	"testing"

	"github.com/untied-ml/untied/core/nn"
)

// energiesRef is Normalize's documented energies in float64: ex =
// mean(x²)·P·fanIn, with P the output positions per channel, and ef =
// ‖Pf‖²/N·KK, with KK the filter taps per input channel.
func (g geom) energiesRef(x, w []float64) (ex, ef float64) {
	p, fanIn, taps := 1.0, float64(g.In), 1.0
	if !g.Dense {
		p, fanIn, taps = float64(g.oh()*g.ow()), float64(g.In*g.K*g.K), float64(g.K*g.K)
	}
	pf := g.apply(x, w)
	ex = dot(x, x) / float64(len(x)) * p * fanIn
	ef = dot(pf, pf) / float64(g.N) * taps
	return ex, ef
}

// TestNormalizeDividesByEnergy checks that with Normalize each activity
// term's gradient is its closed form divided by the documented energy (for
// Amp alone, W's Rayleigh quotient)
// (tolerance as TestPrimitiveGradient's, plus the energy's own rounding),
// and, for dense layers, that the input energy is the exact tr Σ̂ = ‖x‖²/N.
func TestNormalizeDividesByEnergy(t *testing.T) {
	for _, g := range geoms {
		for _, p := range []Primitive{Amp, Sparse, Null} {
			u, x, w, b, g0 := setup(g, 7)
			spec := Custom("n", []Term{{Prim: p, Coef: Const(1)}})
			spec.Normalize = true
			r, err := New(spec, []nn.Untied{u}, 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			r.AfterBackward(0)
			ex, ef := g.energiesRef(x, w)
			e := ex
			switch p {
			case Null:
				e = ef
			case Amp: // alone, Amp is divided by W's Rayleigh quotient
				pf := g.apply(x, w)
				e = dot(pf, pf) / float64(g.N) / dot(w, w)
			}
			want := g.refGrad(p, x, w, b)
			_, bp := u.Weights()
			for i, v := range bp.Grad.Data {
				wv := g0[i] + want[i]/e
				// TestPrimitiveGradient bounds the unnormalised gradient by
				// (k+5)·u32 relative with k ≤ 300 here (≤ 2e-5); the energy is
				// accumulated in float64. 1e-4 leaves a 5× margin and still
				// fails for any wrong divisor.
				tol := 1e-4 * (math.Abs(want[i]/e) + math.Abs(g0[i]) + 1e-6)
				if math.Abs(float64(v)-wv) > tol {
					t.Fatalf("%v %v: B.Grad[%d] = %v, want %v (tol %g)", g, p, i, v, wv, tol)
				}
			}
			if g.Dense && p == Sparse {
				if tr := dot(x, x) / float64(g.N); math.Abs(ex-tr) > 1e-12*tr {
					t.Errorf("%v: input energy %v, want tr Σ̂ = %v", g, ex, tr)
				}
			}
		}
	}
}

// TestNormalizeAmpBesidePb checks that Amp beside a quadratic term on Pb
// (AA's Sparse, IA's reversed NullBack) is divided by the input energy like
// that term, so their fixed point keeps its scale, and that with Center
// both the gradients and the energy are those of the batch-centred input.
func TestNormalizeAmpBesidePb(t *testing.T) {
	for _, g := range geoms {
		if g.N < 2 {
			continue // a single sample centres to zero
		}
		for _, other := range []Primitive{Sparse, NullBack} {
			for _, center := range []bool{false, true} {
				u, x, w, b, g0 := setup(g, 9)
				if center {
					x, _ = centered(x, g.N)
				}
				spec := Custom("n", []Term{{Prim: Amp, Coef: Const(2)}, {Prim: other, Coef: Const(1)}})
				spec.Normalize, spec.Center = true, center
				r, err := New(spec, []nn.Untied{u}, 0, 1)
				if err != nil {
					t.Fatal(err)
				}
				r.AfterBackward(0)
				ex, _ := g.energiesRef(x, w)
				ga, go_ := g.refGrad(Amp, x, w, b), g.refGrad(other, x, w, b)
				_, bp := u.Weights()
				for i, v := range bp.Grad.Data {
					want := (2*ga[i] + go_[i]) / ex
					wv := g0[i] + want
					// as TestNormalizeDividesByEnergy, on the sum's magnitudes
					tol := 1e-4 * ((math.Abs(2*ga[i])+math.Abs(go_[i]))/ex + math.Abs(g0[i]) + 1e-6)
					if math.Abs(float64(v)-wv) > tol {
						t.Fatalf("%v amp+%v center=%v: B.Grad[%d] = %v, want %v (tol %g)", g, other, center, i, v, wv, tol)
					}
				}
			}
		}
	}
}

// TestNormalizeAmpBesideNull checks IA's normalisation: Amp beside Null
// (no term on Pb) is divided by W's Rayleigh quotient, as Amp alone, and
// Null by the reconstruction energy, in the one merged Filter call.
func TestNormalizeAmpBesideNull(t *testing.T) {
	for _, g := range geoms {
		u, x, w, b, g0 := setup(g, 11)
		spec := Custom("n", []Term{{Prim: Amp, Coef: Const(2)}, {Prim: Null, Coef: Const(1)}})
		spec.Normalize = true
		r, err := New(spec, []nn.Untied{u}, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		r.AfterBackward(0)
		_, ef := g.energiesRef(x, w)
		pf := g.apply(x, w)
		rho := dot(pf, pf) / float64(g.N) / dot(w, w)
		ga, gn := g.refGrad(Amp, x, w, b), g.refGrad(Null, x, w, b)
		_, bp := u.Weights()
		for i, v := range bp.Grad.Data {
			wv := g0[i] + 2*ga[i]/rho + gn[i]/ef
			// as TestNormalizeDividesByEnergy, on the sum's magnitudes
			tol := 1e-4 * (math.Abs(2*ga[i]/rho) + math.Abs(gn[i]/ef) + math.Abs(g0[i]) + 1e-6)
			if math.Abs(float64(v)-wv) > tol {
				t.Fatalf("%v amp+null: B.Grad[%d] = %v, want %v (tol %g)", g, i, v, wv, tol)
			}
		}
	}
}
