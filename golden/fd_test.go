package golden

// Layer 2a: the float64 reference's analytic gradients against central
// finite differences (gonum's diff/fd), for loss = Σ dy·f(θ) with a random
// dy so that every output matters.

import (
	"math"
	"testing"

	"github.com/untied-ml/untied/golden/internal/ref"
	"gonum.org/v1/gonum/diff/fd"
)

// fdStep is the central-difference step, ≈ ε^(1/3) for float64, which
// balances the two error terms below.
const fdStep = 6e-6

// fdTol bounds |central difference − derivative| for a loss whose terms
// have absolute sum mag and whose third derivative along one coordinate is
// at most curv: each of the two evaluations is off by at most a few ε·mag
// (a sum of float64 products; we allow 4), divided by 2h, plus the
// truncation error h²/6·|f”'|.
func fdTol(mag, curv float64) float64 {
	const eps = 0x1p-52
	return 4*eps*mag/fdStep + fdStep*fdStep/6*curv
}

// checkFD compares analytic with the central-difference gradient of f at x.
// x is restored before returning.
func checkFD(t *testing.T, what string, f func([]float64) float64, x, analytic []float64, mag, curv float64) {
	t.Helper()
	got := fd.Gradient(nil, f, x, &fd.Settings{Formula: fd.Central, Step: fdStep})
	tol := fdTol(mag, curv)
	worst := 0.0
	for i := range got {
		d := math.Abs(got[i] - analytic[i])
		if !(d <= tol) {
			t.Errorf("%s: ∂/∂θ[%d]: finite difference %v, analytic %v (off by %.3g > %.3g)", what, i, got[i], analytic[i], d, tol)
			return
		}
		worst = max(worst, d/tol)
	}
	if testing.Verbose() {
		t.Logf("%s: worst |error|/tolerance = %.3g (tolerance %.3g)", what, worst, tol)
	}
}

// absDot is Σ|dy·y|, the magnitude of the loss's terms (at least 1, so the
// tolerance never collapses on a loss that happens to be small).
func absDot(dy, y []float64) float64 { return max(1, ref.Dot(ref.Abs(dy), ref.Abs(y))) }

// The linear and piecewise-linear maps (dense, conv, ReLU, pooling, the
// residual sum) have zero third derivative between kinks, so their only
// finite-difference error is rounding: curv = 0.

func TestReferenceDenseFD(t *testing.T) {
	const n, in, out = 3, 5, 4
	r := newRand(101)
	x, w, b, dy := normals(r, n*in), normals(r, out*in), normals(r, out), normals(r, n*out)
	mag := absDot(dy, ref.Dense(ref.Abs(x), ref.Abs(w), ref.Abs(b), n, in, out))
	loss := func(x, w, b []float64) float64 { return ref.Dot(dy, ref.Dense(x, w, b, n, in, out)) }
	checkFD(t, "dense x", func(v []float64) float64 { return loss(v, w, b) }, x, ref.DenseInput(dy, w, n, in, out), mag, 0)
	checkFD(t, "dense W", func(v []float64) float64 { return loss(x, v, b) }, w, ref.DenseFilter(x, dy, n, in, out), mag, 0)
	checkFD(t, "dense bias", func(v []float64) float64 { return loss(x, w, v) }, b, ref.BiasGrad(dy, n, out, 1), mag, 0)
}

// convCases are the geometries every conv test runs: pointwise (1×1/1, the
// engine's no-im2col path), 1×1/2, 3×3 padded and not, stride 1 and 2, 5×5
// and 7×7/2 padded 3 (the ImageNet stem), on odd sizes.
var convCases = []struct {
	name string
	g    ref.Conv
	bias bool
}{
	{"k1s1p0", ref.Conv{C: 3, H: 5, W: 5, K: 4, KH: 1, KW: 1, Stride: 1, Pad: 0}, false},
	{"k1s2p0", ref.Conv{C: 3, H: 6, W: 5, K: 2, KH: 1, KW: 1, Stride: 2, Pad: 0}, true},
	{"k3s1p1", ref.Conv{C: 2, H: 5, W: 6, K: 3, KH: 3, KW: 3, Stride: 1, Pad: 1}, true},
	{"k3s1p0", ref.Conv{C: 2, H: 5, W: 5, K: 3, KH: 3, KW: 3, Stride: 1, Pad: 0}, false},
	{"k3s2p1", ref.Conv{C: 3, H: 7, W: 6, K: 2, KH: 3, KW: 3, Stride: 2, Pad: 1}, false},
	{"k3s2p0", ref.Conv{C: 2, H: 7, W: 7, K: 3, KH: 3, KW: 3, Stride: 2, Pad: 0}, true},
	{"k5s1p2", ref.Conv{C: 1, H: 6, W: 6, K: 3, KH: 5, KW: 5, Stride: 1, Pad: 2}, true},
	{"k7s2p3", ref.Conv{C: 2, H: 9, W: 8, K: 3, KH: 7, KW: 7, Stride: 2, Pad: 3}, false},
	{"k7s1p0", ref.Conv{C: 1, H: 8, W: 7, K: 2, KH: 7, KW: 7, Stride: 1, Pad: 0}, true},
}

func TestReferenceConvFD(t *testing.T) {
	const n = 2
	for ci, c := range convCases {
		t.Run(c.name, func(t *testing.T) {
			g := c.g
			r := newRand(200 + uint64(ci))
			x, w, b := normals(r, n*g.C*g.H*g.W), normals(r, g.K*g.C*g.KH*g.KW), normals(r, g.K)
			dy := normals(r, n*g.K*g.OutH()*g.OutW())
			mag := absDot(dy, g.Forward(ref.Abs(x), ref.Abs(w), ref.Abs(b), n))
			loss := func(x, w, b []float64) float64 { return ref.Dot(dy, g.Forward(x, w, b, n)) }
			hw := g.OutH() * g.OutW()
			checkFD(t, "conv x", func(v []float64) float64 { return loss(v, w, b) }, x, g.Input(dy, w, n), mag, 0)
			checkFD(t, "conv W", func(v []float64) float64 { return loss(x, v, b) }, w, g.Filter(x, dy, n), mag, 0)
			checkFD(t, "conv bias", func(v []float64) float64 { return loss(x, w, v) }, b, ref.BiasGrad(dy, n, g.K, hw), mag, 0)
		})
	}
}

// bnCurv bounds |f”'| for Σ dy·BN(x) on the test data: each derivative of
// x̂ in x brings a factor 1/σ (σ ≈ 1 here, the data being N(0, 1)) and at
// most a few terms per element, so |f”'| ≲ 10·Σ|dy|/σ³; we take 100·Σ|dy|.
func bnCurv(dy []float64) float64 { return 100 * ref.Dot(ref.Abs(dy), ones(len(dy))) }

func ones(n int) []float64 {
	o := make([]float64, n)
	for i := range o {
		o[i] = 1
	}
	return o
}

func TestReferenceBatchNormFD(t *testing.T) {
	for _, train := range []bool{true, false} {
		name := map[bool]string{true: "train", false: "eval"}[train]
		t.Run(name, func(t *testing.T) {
			bn := ref.BN{N: 3, C: 2, HW: 4, Eps: 1e-5, Momentum: 0.9}
			r := newRand(300)
			x := normals(r, bn.N*bn.C*bn.HW)
			gamma, beta := uniform(r, bn.C, 0.5, 1.5), normals(r, bn.C)
			rm, rv := normals(r, bn.C), uniform(r, bn.C, 0.5, 2)
			dy := normals(r, len(x))
			loss := func(x, g, b []float64) float64 {
				y, _ := bn.Forward(x, g, b, train, rm, rv)
				return ref.Dot(dy, y)
			}
			y, st := bn.Forward(x, gamma, beta, train, rm, rv)
			dx, dg, db := bn.Backward(dy, gamma, st)
			mag := absDot(dy, plus(ref.Abs(y), scale(10, ones(len(y)))))
			curv := bnCurv(dy)
			checkFD(t, "bn x", func(v []float64) float64 { return loss(v, gamma, beta) }, x, dx, mag, curv)
			checkFD(t, "bn gamma", func(v []float64) float64 { return loss(x, v, beta) }, gamma, dg, mag, 0)
			checkFD(t, "bn beta", func(v []float64) float64 { return loss(x, gamma, v) }, beta, db, mag, 0)
		})
	}
}

// awayFrom reports whether every element of x is farther than d from 0.
func awayFrom(x []float64, d float64) bool {
	for _, v := range x {
		if math.Abs(v) <= d {
			return false
		}
	}
	return true
}

func TestReferenceReLUFD(t *testing.T) {
	r := newRand(400)
	x, dy := normals(r, 40), normals(r, 40)
	if !awayFrom(x, 10*fdStep) {
		t.Fatal("test data within 10 steps of the ReLU kink; pick another seed")
	}
	checkFD(t, "relu x", func(v []float64) float64 { return ref.Dot(dy, ref.ReLU(v)) }, x, ref.ReLUBackward(x, dy), absDot(dy, x), 0)
}

// poolCases: LeNet's 2×2/2, the ResNet stem's overlapping 3×3/2 padded 1,
// and a 3×3/1 whose windows overlap twice over.
var poolCases = []ref.Pool{
	{N: 2, C: 2, H: 6, W: 6, K: 2, Stride: 2, Pad: 0},
	{N: 2, C: 2, H: 7, W: 6, K: 3, Stride: 2, Pad: 1},
	{N: 1, C: 3, H: 5, W: 5, K: 3, Stride: 1, Pad: 0},
}

// windowGap returns a lower bound on the gap between the largest and the
// second largest entry of every window (+Inf when every gap exceeds 1e-3):
// max-pool's gradient is constant only within that distance of x.
func windowGap(p ref.Pool, x []float64) float64 {
	gap := math.Inf(1)
	y, arg := p.Forward(x)
	for o := range y {
		// Lowering the winner by 1e-3 changes it only if a rival is that close.
		x[arg[o]] -= 1e-3
		y2, arg2 := p.Forward(x)
		x[arg[o]] += 1e-3
		if arg2[o] != arg[o] {
			gap = min(gap, y[o]-y2[o])
		}
	}
	return gap
}

func TestReferenceMaxPoolFD(t *testing.T) {
	for pi, p := range poolCases {
		r := newRand(500 + uint64(pi))
		x := normals(r, p.N*p.C*p.H*p.W)
		if windowGap(p, x) <= 10*fdStep {
			t.Fatalf("pool %d: a window's two largest entries are within 10 steps; pick another seed", pi)
		}
		y, arg := p.Forward(x)
		dy := normals(r, len(y))
		f := func(v []float64) float64 { y, _ := p.Forward(v); return ref.Dot(dy, y) }
		checkFD(t, "maxpool x", f, x, p.Backward(dy, arg), absDot(dy, y), 0)
	}
}

func TestReferenceGlobalAvgPoolFD(t *testing.T) {
	const planes, hw = 6, 9
	r := newRand(600)
	x, dy := normals(r, planes*hw), normals(r, planes)
	f := func(v []float64) float64 { return ref.Dot(dy, ref.GAP(v, planes, hw)) }
	checkFD(t, "gap x", f, x, ref.GAPBackward(dy, hw), absDot(dy, ref.GAP(ref.Abs(x), planes, hw)), 0)
}

// TestReferenceResidualFD checks the reference's composition rules on a
// v1 block relu(conv3×3(x) + conv1×1(x)): the chain rule through the ReLU
// and the sum of the two paths' input gradients.
func TestReferenceResidualFD(t *testing.T) {
	const n = 2
	g3 := ref.Conv{C: 2, H: 5, W: 5, K: 3, KH: 3, KW: 3, Stride: 1, Pad: 1}
	g1 := ref.Conv{C: 2, H: 5, W: 5, K: 3, KH: 1, KW: 1, Stride: 1, Pad: 0}
	r := newRand(700)
	x, w3, w1 := normals(r, n*2*25), normals(r, 3*2*9), normals(r, 3*2)
	dy := normals(r, n*3*25)
	pre := func(x []float64) []float64 { return ref.Add(g3.Forward(x, w3, nil, n), g1.Forward(x, w1, nil, n)) }
	s := pre(x)
	if !awayFrom(s, 10*fdStep*10) {
		t.Fatal("a pre-activation is near the ReLU kink; pick another seed")
	}
	ds := ref.ReLUBackward(s, dy)
	dx := ref.Add(g3.Input(ds, w3, n), g1.Input(ds, w1, n))
	mag := absDot(dy, ref.Add(g3.Forward(ref.Abs(x), ref.Abs(w3), nil, n), g1.Forward(ref.Abs(x), ref.Abs(w1), nil, n)))
	checkFD(t, "residual x", func(v []float64) float64 { return ref.Dot(dy, ref.ReLU(pre(v))) }, x, dx, mag, 0)
}

func TestReferenceSoftmaxCrossEntropyFD(t *testing.T) {
	const n, k = 4, 5
	r := newRand(800)
	z := scale(3, normals(r, n*k))
	labels := []int{0, 4, 2, 2}
	_, dz := ref.SoftmaxCE(z, labels, n, k)
	f := func(v []float64) float64 { l, _ := ref.SoftmaxCE(v, labels, n, k); return l }
	// The loss's terms are log-sum-exps of size ≲ max|z|; its third
	// derivatives are those of log-sum-exp divided by n, at most 2/n.
	mag := 1 + ref.Dot(ref.Abs(z), ones(len(z)))/n
	checkFD(t, "softmax-ce z", f, z, dz, mag, 2.0/n)
}
