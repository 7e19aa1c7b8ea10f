package align

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

var geoms = []geom{
	{Dense: true, N: 3, In: 5, Out: 4},
	{Dense: true, N: 1, In: 7, Out: 2},
	{N: 2, In: 2, Out: 3, H: 5, W: 5, K: 3, S: 1, P: 1},
	{N: 2, In: 2, Out: 3, H: 6, W: 6, K: 3, S: 2, P: 1},
	{N: 2, In: 3, Out: 2, H: 7, W: 6, K: 3, S: 2, P: 0},
	{N: 2, In: 3, Out: 4, H: 4, W: 5, K: 3, S: 1, P: 0},
	{N: 3, In: 3, Out: 2, H: 4, W: 4, K: 1, S: 1, P: 0},
	{N: 2, In: 2, Out: 3, H: 5, W: 5, K: 1, S: 2, P: 0},
}

func (g geom) String() string {
	if g.Dense {
		return fmt.Sprintf("dense/n=%d/in=%d/out=%d", g.N, g.In, g.Out)
	}
	return fmt.Sprintf("conv/n=%d/c=%d/k=%d/hw=%dx%d/f=%d/s=%d/p=%d", g.N, g.In, g.Out, g.H, g.W, g.K, g.S, g.P)
}

// setup returns a layer of g after a forward pass on a random x, with
// random (non-zero) B.Grad, and the float64 copies of x, W, B and B.Grad.
func setup(g geom, seed uint64) (u nn.Untied, x, w, b, g0 []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	u = g.layer(rng)
	xt := tensor.New(g.xShape()...)
	for i := range xt.Data {
		xt.Data[i] = float32(rng.NormFloat64())
	}
	u.Forward(xt, true)
	wp, bp := u.Weights()
	for i := range bp.Grad.Data {
		bp.Grad.Data[i] = float32(rng.NormFloat64())
	}
	return u, to64(xt.Data), to64(wp.Value.Data), to64(bp.Value.Data), to64(bp.Grad.Data)
}

// TestPrimitiveGradient checks, for every primitive and geometry, that
//
//  1. the closed form of the table (float64 loops) equals float64 central
//     finite differences of the float64 R. Every R is a polynomial of degree
//     ≤ 2 in B, so central differences have no truncation error; each R
//     evaluation chains sums of total length k and errs by at most
//     k·u64·Rabs (Rabs: R evaluated on |x|, |W|, |B|), so the quotient errs
//     by at most 2·(k+2)·u64·Rabs/(2h), doubled for safety of the first-
//     order bound;
//  2. what AfterBackward adds to B.Grad (coefficient 3 × Scale 0.25) equals
//     0.75·closed form within (k+5)·u32·|0.75|·gabs + 2·u32·|g0|, where k is
//     the summed length of the chained float32 sums (Apply, Transpose,
//     Filter), gabs the closed form on |x|, |W|, |B| (the Σ|aᵢbᵢ| of the
//     error model), +5 for the coefficient's and 1/N's rounding and the
//     scalings, and 2·u32·|g0| for the addition into a non-zero B.Grad;
//  3. the R the rule reports (TermLoss) equals the float64 R within
//     2·(k+2)·u32·Rabs, k the length of the chained sums of the value.
func TestPrimitiveGradient(t *testing.T) {
	const h = 0x1p-6
	for _, g := range geoms {
		for p := range numPrimitives {
			t.Run(fmt.Sprintf("%v/%v", g, p), func(t *testing.T) {
				u, x, w, b, g0 := setup(g, uint64(17+int(p)))
				want := g.refGrad(p, x, w, b)
				gabs := abs64(g.refGrad(p, abs64(x), abs64(w), abs64(b)))
				rabs := math.Abs(g.refR(p, abs64(x), abs64(w), abs64(b)))
				kv := g.valueK(p)

				// 1. closed form against finite differences.
				fdTol := 2 * 2 * float64(kv+2) * u64 * rabs / (2 * h)
				bb := append([]float64(nil), b...)
				for j := range b {
					bb[j] = b[j] + h
					rp := g.refR(p, x, w, bb)
					bb[j] = b[j] - h
					rm := g.refR(p, x, w, bb)
					bb[j] = b[j]
					fd := (rp - rm) / ((b[j] + h) - (b[j] - h))
					if d := math.Abs(fd - want[j]); d > fdTol {
						t.Errorf("closed form[%d] = %v, finite difference %v: |diff| %.3g > tol %.3g", j, want[j], fd, d, fdTol)
					}
				}

				// 2. the code against the closed form.
				spec := Spec{Name: "one", Terms: []Term{{Prim: p, Coef: Const(3)}}, TrainB: true, Scale: 0.25}
				r, err := New(spec, []nn.Untied{u}, 0, 1)
				if err != nil {
					t.Fatal(err)
				}
				r.AfterBackward(0)
				_, bp := u.Weights()
				k := g.gradK(p)
				for j, v := range bp.Grad.Data {
					got := float64(v) - g0[j]
					tol := float64(k+5)*u32*0.75*gabs[j] + 2*u32*math.Abs(g0[j])
					if d := math.Abs(got - 0.75*want[j]); d > tol {
						t.Errorf("B.Grad[%d] added %v, want %v: |diff| %.3g > tol %.3g", j, got, 0.75*want[j], d, tol)
					}
				}

				// 3. the reported value.
				wantR := g.refR(p, x, w, b)
				tolR := 2 * float64(kv+2) * u32 * rabs
				if got := r.TermLoss(0, p); math.Abs(got-wantR) > tolR {
					t.Errorf("TermLoss = %v, want %v (tol %.3g)", got, wantR, tolR)
				}
				if got, want := r.Loss()[0], 0.75*wantR; math.Abs(got-want) > 0.75*tolR {
					t.Errorf("Loss = %v, want %v (tol %.3g)", got, want, 0.75*tolR)
				}
			})
		}
	}
}

// TestComposition checks that a rule adds the weighted sum of its terms'
// closed forms, with the sum of the single terms' tolerances: all six terms
// (the Filter(x, ·) terms share one Filter call), IA's Amp+Null+Decay (Amp
// and Null share one Filter call on a combined input) and WM's Decay+Amp
// (Amp's value from its own Filter call).
func TestComposition(t *testing.T) {
	sets := map[string][numPrimitives]float64{
		"all": {Decay: 1e-3, Amp: 2e-3, Null: -1.5e-3, Sparse: 3e-3, Self: 2e-3, NullBack: 0.5e-3},
		"ia":  {Decay: 1e-3, Amp: 2e-3, Null: 1.5e-3},
		"wm":  {Decay: 1e-3, Amp: 2e-3},
		"aa":  {Sparse: 1e-3, Amp: 2e-3},
	}
	for name, coef := range sets {
		var ts []Term
		for p, c := range coef {
			if c != 0 {
				ts = append(ts, Term{Prim: Primitive(p), Coef: Const(c)})
			}
		}
		for _, center := range []bool{false, true} {
			for _, g := range geoms {
				t.Run(fmt.Sprintf("%s/center=%v/%v", name, center, g), func(t *testing.T) {
					testComposition(t, g, ts, center)
				})
			}
		}
	}
}

// testComposition runs one case of TestComposition. With center, the
// reference is the closed form on x minus its batch mean, and the error
// model's magnitudes are those of |x| + |mean|, with N more roundings for
// the centring.
func testComposition(t *testing.T, g geom, ts []Term, center bool) {
	u, x, w, b, g0 := setup(g, 5)
	xa := abs64(x)
	extraK := 0
	if center {
		x, xa = centered(x, g.N)
		extraK = 2 * g.N
	}
	spec := Custom("c", ts)
	spec.Center = center
	r, err := New(spec, []nn.Untied{u}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	r.AfterBackward(0)
	want := make([]float64, len(b))
	tol := make([]float64, len(b))
	var wantR, tolR float64
	for _, tm := range ts {
		p, c := tm.Prim, tm.Coef.Value
		wantR += c * g.refR(p, x, w, b)
		gr := g.refGrad(p, x, w, b)
		ga := g.refGrad(p, xa, abs64(w), abs64(b))
		for j := range want {
			want[j] += c * gr[j]
			// +5 as above, +6 for the accumulation of up to six terms.
			tol[j] += float64(g.gradK(p)+11+extraK) * u32 * math.Abs(c*ga[j])
		}
		tolR += float64(2*(g.valueK(p)+2+extraK)) * u32 * math.Abs(c*g.refR(p, xa, abs64(w), abs64(b)))
	}
	_, bp := u.Weights()
	for j, v := range bp.Grad.Data {
		got := float64(v) - g0[j]
		tl := tol[j] + 2*u32*math.Abs(g0[j])
		if d := math.Abs(got - want[j]); d > tl {
			t.Errorf("B.Grad[%d] added %v, want %v: |diff| %.3g > tol %.3g", j, got, want[j], d, tl)
		}
	}
	if got := r.Loss()[0]; math.Abs(got-wantR) > tolR {
		t.Errorf("Loss = %v, want %v (tol %.3g)", got, wantR, tolR)
	}
}

// centered returns x, [n, ...], minus its batch mean element by element,
// and |x| + |mean|.
func centered(x []float64, n int) (xc, xa []float64) {
	per := len(x) / n
	xc, xa = make([]float64, len(x)), make([]float64, len(x))
	for j := range per {
		var m float64
		for i := range n {
			m += x[i*per+j]
		}
		m /= float64(n)
		for i := range n {
			xc[i*per+j] = x[i*per+j] - m
			xa[i*per+j] = math.Abs(x[i*per+j]) + math.Abs(m)
		}
	}
	return xc, xa
}

// TestAmpReconstruction checks the adjoint identity that makes IA's "Amp on
// the reconstruction" equal to Amp: ⟨x, Transpose(Pf, B)⟩ = ⟨Apply(x, B), Pf⟩
// (and likewise through W for the reversed reconstruction), in float64
// within 4·k·u64·Σ|terms|.
func TestAmpReconstruction(t *testing.T) {
	for _, g := range geoms {
		_, x, w, b, _ := setup(g, 9)
		pf, pb := g.apply(x, w), g.apply(x, b)
		lhs, rhs := dot(x, g.transpose(pf, b)), dot(pb, pf)
		ax, aw, ab := abs64(x), abs64(w), abs64(b)
		tol := 4 * float64(g.fwdK()+g.bwdK()+g.xLen()+g.yLen()) * u64 * dot(ax, g.transpose(g.apply(ax, aw), ab))
		if math.Abs(lhs-rhs) > tol {
			t.Errorf("%v: ⟨x, Rf⟩ = %v, ⟨Pb, Pf⟩ = %v", g, lhs, rhs)
		}
		lhs = dot(x, g.transpose(pb, w))
		if math.Abs(lhs-rhs) > tol {
			t.Errorf("%v: ⟨x, Rb⟩ = %v, ⟨Pb, Pf⟩ = %v", g, lhs, rhs)
		}
	}
}
