package align

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/optim"
	"github.com/untied-ml/untied/core/tensor"
)

// The dynamics tests run plain SGD on B alone (x and W fixed) on a small
// dense layer and compare B after t steps with the float64 prediction of
// the linear recursion. Each float32 step errs by at most
// perStep = 4·u32·(‖B‖ + ‖W‖)·(1 + lr·(‖grad coefficients‖)) plus the
// gradient's own error bound; errors are not amplified because every
// recursion here contracts, so after t steps the Frobenius error is at
// most t·perStep.

type sgdB struct {
	u  nn.Untied
	r  *Rule
	lr float32
}

func (s *sgdB) step(i int) {
	_, b := s.u.Weights()
	b.Grad.Zero()
	s.r.AfterBackward(i)
	for j, g := range b.Grad.Data {
		b.Value.Data[j] -= s.lr * g
	}
}

func newSGDB(t *testing.T, spec Spec, g geom, x []float32, lr float32, seed uint64) (*sgdB, []float64, []float64) {
	t.Helper()
	u := g.layer(rand.New(rand.NewPCG(seed, 2)))
	u.Forward(tensor.FromData(x, g.xShape()...), true)
	r, err := New(spec, []nn.Untied{u}, 0, seed)
	if err != nil {
		t.Fatal(err)
	}
	w, b := u.Weights()
	return &sgdB{u, r, lr}, to64(w.Value.Data), to64(b.Value.Data)
}

func frob(v []float64) float64 { return math.Sqrt(dot(v, v)) }

func sub(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] - b[i]
	}
	return out
}

func randX(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// matmul returns a·b for a [m,k], b [k,n] in row-major float64.
func matmul(a, b []float64, m, k, n int) []float64 {
	c := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for l := 0; l < k; l++ {
				s += a[i*k+l] * b[l*n+j]
			}
			c[i*n+j] = s
		}
	}
	return c
}

// sigmaHat returns Σ̂ = xᵀx/N, [In, In].
func sigmaHat(x []float64, n, in int) []float64 {
	s := make([]float64, in*in)
	for i := 0; i < in; i++ {
		for j := 0; j < in; j++ {
			var v float64
			for k := 0; k < n; k++ {
				v += x[k*in+i] * x[k*in+j]
			}
			s[i*in+j] = v / float64(n)
		}
	}
	return s
}

// TestSymmetricDynamics: under SA with β = 2α, B − W ← (1 − 2α·lr)(B − W)
// elementwise. α = 2⁻⁵ and lr = 2⁻³ make ρ = 1 − 2⁻⁷ and the coefficients
// exact in float32. Tolerance t·perStep with perStep = 4·u32·(|B|+|W|)max·√len.
func TestSymmetricDynamics(t *testing.T) {
	g := geom{Dense: true, N: 4, In: 6, Out: 5}
	const alpha, lr, steps = 0x1p-5, 0x1p-3, 300
	spec := Custom("sa", []Term{{Decay, Const(alpha)}, {Self, Const(2 * alpha)}})
	s, w, b0 := newSGDB(t, spec, g, randX(rand.New(rand.NewPCG(3, 3)), g.xLen()), lr, 3)
	e0 := sub(b0, w)
	rho := 1 - 2*alpha*lr
	m := 0.0
	for i := range w {
		m = max(m, math.Abs(w[i])+math.Abs(b0[i]))
	}
	perStep := 4 * u32 * m * math.Sqrt(float64(len(w)))
	for i := 1; i <= steps; i++ {
		s.step(i - 1)
		if i%50 != 0 {
			continue
		}
		_, bp := s.u.Weights()
		e := sub(to64(bp.Value.Data), w)
		want := scaled(math.Pow(rho, float64(i)), e0)
		if d, tol := frob(sub(e, want)), float64(i)*perStep; d > tol {
			t.Errorf("step %d: ‖(B−W) − ρ^t(B₀−W)‖ = %.3g > tol %.3g", i, d, tol)
		}
		if got, want := frob(e)/frob(e0), math.Pow(rho, float64(i)); math.Abs(got-want) > float64(i)*perStep/frob(e0) {
			t.Errorf("step %d: ‖B−W‖/‖B₀−W‖ = %v, want ρ^t = %v", i, got, want)
		}
	}
}

// TestTimeScaleDynamics: the preset sa with the Scale from ScaleFor reaches
// ‖B−W‖/‖B₀−W‖ = (1 − 1/τ)^τ ≈ e⁻¹ after τ = fraction·T steps. The
// coefficients are not exact in float32: ρ errs by ≈ 3·u32 relative to
// 1/τ, so ρ^τ by ≈ 3·u32 relative; plus the rounding of τ steps.
func TestTimeScaleDynamics(t *testing.T) {
	g := geom{Dense: true, N: 4, In: 6, Out: 5}
	const lr, total, frac = 0.1, 2000, 0.02
	spec, _ := Preset("sa")
	sc, err := ScaleFor(spec, lr, total, frac)
	if err != nil {
		t.Fatal(err)
	}
	spec.Scale = sc
	tau, _ := TimeScale(spec, lr)
	if math.Abs(tau-frac*total) > 1e-9*tau {
		t.Fatalf("TimeScale = %v, want %v", tau, frac*total)
	}
	s, w, b0 := newSGDB(t, spec, g, randX(rand.New(rand.NewPCG(4, 4)), g.xLen()), lr, 4)
	for i := 0; i < int(tau); i++ {
		s.step(i)
	}
	_, bp := s.u.Weights()
	e0 := sub(b0, w)
	got := frob(sub(to64(bp.Value.Data), w)) / frob(e0)
	want := math.Pow(1-1/tau, tau)
	m := 0.0
	for i := range w {
		m = max(m, math.Abs(w[i])+math.Abs(b0[i]))
	}
	tol := 3*u32*want*tau + tau*4*u32*m*math.Sqrt(float64(len(w)))/frob(e0)
	if math.Abs(got-want) > tol {
		t.Errorf("after τ = %v steps ‖B−W‖ ratio = %v, want %v (tol %.3g)", tau, got, want, tol)
	}
}

// TestActivationDynamics: under AA with β = 2α the gradient is
// 2α(B−W)Σ̂, so E = B − W follows E ← E(I − 2α·lr·Σ̂): the component in the
// span of the inputs goes to 0, the orthogonal one is unchanged. With N = 2
// inputs in 6 dimensions the span has dimension 2. B after t steps is
// compared with the float64 recursion; perStep adds the Filter error bound
// lr·(N+In+5)·u32·‖|D|ᵀ|x|‖ (D = (β/N)|x||W|ᵀ + (2α/N)|x||B|ᵀ) to the
// update's rounding 4·u32·(‖B‖+‖W‖).
func TestActivationDynamics(t *testing.T) {
	g := geom{Dense: true, N: 2, In: 6, Out: 4}
	const alpha, lr, steps = 0x1p-4, 0x1p-2, 400
	xs := randX(rand.New(rand.NewPCG(6, 6)), g.xLen())
	spec := Custom("aa", []Term{{Sparse, Const(alpha)}, {Amp, Const(2 * alpha)}})
	s, w, b0 := newSGDB(t, spec, g, xs, lr, 6)
	x := to64(xs)
	sig := sigmaHat(x, g.N, g.In)
	// M = I − 2α·lr·Σ̂; P = projector on the row span of x.
	mm := scaled(-2*alpha*lr, sig)
	for i := 0; i < g.In; i++ {
		mm[i*g.In+i]++
	}
	proj := projector(x, g.N, g.In)
	e := sub(b0, w)
	eOrth0 := sub(e, matmul(e, proj, g.Out, g.In, g.In))
	eSpan0 := frob(matmul(e, proj, g.Out, g.In, g.In))

	ax, aw, ab := abs64(x), abs64(w), abs64(b0)
	d := make([]float64, g.N*g.Out)
	pw, pb := g.apply(ax, aw), g.apply(ax, ab)
	for i := range d {
		d[i] = (2*alpha*pw[i] + 2*alpha*(pb[i]+pw[i])) / float64(g.N) // |B| ≤ |B₀|+|W| bound
	}
	perStep := 4*u32*(frob(ab)+2*frob(aw)) + lr*float64(g.N+g.In+5)*u32*frob(g.filter(ax, d))
	for i := 1; i <= steps; i++ {
		s.step(i - 1)
		e = matmul(e, mm, g.Out, g.In, g.In)
		if i%100 != 0 {
			continue
		}
		_, bp := s.u.Weights()
		got := sub(to64(bp.Value.Data), w)
		if dd, tol := frob(sub(got, e)), float64(i)*perStep; dd > tol {
			t.Errorf("step %d: ‖(B−W) − E₀Mᵗ‖ = %.3g > tol %.3g", i, dd, tol)
		}
		orth := sub(got, matmul(got, proj, g.Out, g.In, g.In))
		if dd, tol := frob(sub(orth, eOrth0)), float64(i)*perStep; dd > tol {
			t.Errorf("step %d: orthogonal component moved by %.3g > tol %.3g", i, dd, tol)
		}
		if i == steps {
			span := frob(matmul(got, proj, g.Out, g.In, g.In))
			// Predicted: ≤ (1 − 2α·lr·λmin)^t·‖E₀P‖ plus rounding.
			if tol := frob(matmul(e, proj, g.Out, g.In, g.In)) + float64(i)*perStep; span > tol || span > 1e-3*eSpan0 {
				t.Errorf("span component %.3g after %d steps (from %.3g), want ≤ %.3g", span, i, eSpan0, tol)
			}
		}
	}
	if frob(eOrth0) < 0.1*frob(sub(b0, w)) {
		t.Fatalf("test setup: orthogonal component too small to be meaningful")
	}
}

// projector returns the orthogonal projector [in, in] onto the row span of
// x [n, in] (rows independent), P = xᵀ(xxᵀ)⁻¹x, by Gram–Schmidt.
func projector(x []float64, n, in int) []float64 {
	var q [][]float64
	for i := 0; i < n; i++ {
		v := append([]float64(nil), x[i*in:(i+1)*in]...)
		for _, b := range q {
			c := dot(v, b)
			for j := range v {
				v[j] -= c * b[j]
			}
		}
		nv := frob(v)
		for j := range v {
			v[j] /= nv
		}
		q = append(q, v)
	}
	p := make([]float64, in*in)
	for _, b := range q {
		for i := 0; i < in; i++ {
			for j := 0; j < in; j++ {
				p[i*in+j] += b[i] * b[j]
			}
		}
	}
	return p
}

// TestMirrorDynamics: under WM, ∂R/∂B = 2αB − βWΣ̂, so the fixed point is
// B* = (β/2α)·W·Σ̂ and B − B* ← (1 − 2α·lr)(B − B*). B after t steps is
// compared with B* + ρᵗ(B₀ − B*), and after many steps with B*.
func TestMirrorDynamics(t *testing.T) {
	g := geom{Dense: true, N: 8, In: 5, Out: 3}
	const alpha, beta, lr, steps = 0x1p-4, 0x1p-5, 0x1p-2, 600
	xs := randX(rand.New(rand.NewPCG(7, 7)), g.xLen())
	spec := Custom("wm", []Term{{Decay, Const(alpha)}, {Amp, Const(beta)}})
	s, w, b0 := newSGDB(t, spec, g, xs, lr, 7)
	x := to64(xs)
	bstar := scaled(beta/(2*alpha), matmul(w, sigmaHat(x, g.N, g.In), g.Out, g.In, g.In))
	rho := 1 - 2*alpha*lr
	ax, aw := abs64(x), abs64(w)
	perStep := 4*u32*(frob(abs64(b0))+frob(bstar)+frob(aw)) +
		lr*float64(g.N+g.In+5)*u32*frob(g.filter(ax, scaled(beta/float64(g.N), g.apply(ax, aw))))
	e0 := sub(b0, bstar)
	for i := 1; i <= steps; i++ {
		s.step(i - 1)
		if i%100 != 0 {
			continue
		}
		_, bp := s.u.Weights()
		got := sub(to64(bp.Value.Data), bstar)
		want := scaled(math.Pow(rho, float64(i)), e0)
		if d, tol := frob(sub(got, want)), float64(i)*perStep; d > tol {
			t.Errorf("step %d: ‖(B−B*) − ρᵗ(B₀−B*)‖ = %.3g > tol %.3g", i, d, tol)
		}
	}
	_, bp := s.u.Weights()
	if d := frob(sub(to64(bp.Value.Data), bstar)); d > 1e-3*frob(bstar) {
		t.Errorf("‖B − B*‖ = %.3g after %d steps, ‖B*‖ = %.3g", d, steps, frob(bstar))
	}
}

// TestKolenPollackDynamics: W and B get the same task gradient dW (a new
// random batch each step), W gets weight decay wd = 2α from the task
// optimizer (core/optim, plain SGD) and B its Decay, so W − B shrinks by
// exactly (1 − 2α·lr) a step. Each step's rounding is at most
// 4·u32·(‖W‖ + ‖B‖ + 2·lr·‖dW‖).
func TestKolenPollackDynamics(t *testing.T) {
	g := geom{Dense: true, N: 4, In: 6, Out: 5}
	const alpha, lr, steps = 0x1p-5, 0x1p-3, 200
	spec, _ := Preset("kp")
	spec.Terms[0].Coef = Const(alpha)
	rng := rand.New(rand.NewPCG(8, 8))
	u := g.layer(rng)
	r, err := New(spec, []nn.Untied{u}, 0, 8)
	if err != nil {
		t.Fatal(err)
	}
	params := u.Params()
	task, err := optim.NewSGD(params, optim.SGDConfig{LR: optim.Constant(lr), WeightDecay: 2 * alpha, Filter: optim.ExceptKinds(nn.Feedback)})
	if err != nil {
		t.Fatal(err)
	}
	bopt, err := optim.NewSGD(params, optim.SGDConfig{LR: optim.Constant(lr), Filter: optim.OnlyKinds(nn.Feedback)})
	if err != nil {
		t.Fatal(err)
	}
	wp, bp := u.Weights()
	e0 := sub(to64(wp.Value.Data), to64(bp.Value.Data))
	var bound float64
	x, dy := tensor.New(g.N, g.In), tensor.New(g.N, g.Out)
	for i := 1; i <= steps; i++ {
		for _, p := range params {
			p.Grad.Zero()
		}
		copy(x.Data, randX(rng, len(x.Data)))
		copy(dy.Data, randX(rng, len(dy.Data)))
		u.Forward(x, true)
		u.Backward(dy)
		r.AfterBackward(i - 1)
		bound += 4 * u32 * (frob(to64(wp.Value.Data)) + frob(to64(bp.Value.Data)) + 2*lr*frob(to64(wp.Grad.Data)))
		task.Step()
		bopt.Step()
		e := sub(to64(wp.Value.Data), to64(bp.Value.Data))
		want := scaled(math.Pow(1-2*alpha*lr, float64(i)), e0)
		if d := frob(sub(e, want)); d > bound {
			t.Fatalf("step %d: ‖(W−B) − ρᵗ(W₀−B₀)‖ = %.3g > tol %.3g", i, d, bound)
		}
	}
}
