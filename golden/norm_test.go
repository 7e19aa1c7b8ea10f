package golden

// Layer 2b, BatchNorm: the float32 layer against the float64 reference in
// training and evaluation mode, with its running statistics.

import (
	"math"
	"testing"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/golden/internal/ref"
)

// bnTols returns the error-model tolerances of nn.BatchNorm on x, given the
// reference state st (statistics used, x̂) and upstream gradient dy.
//
// The layer computes the statistics in float64 and rounds μ and
// σ = 1/√(var+eps) to float32, then x̂ = (x − μ)·σ, y = γ·x̂ + β in
// float32. With A = |x| + |μ|, x̂ is within γ₄·σ·A (μ, the subtraction, σ,
// the product) and y within γ₆·(|γ|·σ·A + |β|) (two more roundings).
//
// Training: dx = γσ·(dy − m₁ − x̂·m₂), m₁ = mean(dy), m₂ = mean(dy·x̂) with
// x̂ the layer's float32 x̂, so m₂ carries x̂'s error, γ₄·σ·mean(|dy|·A),
// plus its own rounding. x̂·m₂, the two subtractions, the rounding of m₁,
// of γσ and the last product are six more: every rounding is at most u
// times a quantity bounded by
//
//	S = |dy| + |m₁| + |x̂|·|m₂| + σ·A·|m₂| + |x̂|·σ·mean(|dy|·A),
//
// so dx is within γ₁₀·|γ|σ·S. Evaluation: dx = fl(fl(γσ)·dy), γ₃·|γσ·dy|.
// dγ = Σ dy·x̂ sums in float64 over the float32 x̂ and rounds once:
// γ₅·Σ|dy|·σ·A. dβ = Σ dy, float64 then one rounding: γ₁·Σ|dy|.
func bnTols(bn ref.BN, x, dy, gam, beta []float64, st ref.BNState) (y, dx, dg, db []float64) {
	y, dx = make([]float64, len(x)), make([]float64, len(x))
	dg, db = make([]float64, bn.C), make([]float64, bn.C)
	cnt := float64(bn.N * bn.HW)
	for c := 0; c < bn.C; c++ {
		sigma := 1 / math.Sqrt(st.Var[c]+bn.Eps)
		mu := st.Mean[c]
		var m1, m2, mdyA, sdy float64
		each := func(f func(j int)) {
			for i := 0; i < bn.N; i++ {
				for p := 0; p < bn.HW; p++ {
					f((i*bn.C+c)*bn.HW + p)
				}
			}
		}
		each(func(j int) {
			m1 += dy[j] / cnt
			m2 += dy[j] * st.Xhat[j] / cnt
			mdyA += math.Abs(dy[j]) * (math.Abs(x[j]) + math.Abs(mu)) / cnt
			sdy += math.Abs(dy[j])
		})
		g, b := math.Abs(gam[c]), math.Abs(beta[c])
		dg[c] = gamma(5) * sigma * mdyA * cnt
		db[c] = gamma(1) * sdy
		each(func(j int) {
			a := math.Abs(x[j]) + math.Abs(mu)
			xh := math.Abs(st.Xhat[j])
			y[j] = gamma(6) * (g*sigma*a + b)
			if st.Train {
				s := math.Abs(dy[j]) + math.Abs(m1) + xh*math.Abs(m2) + sigma*a*math.Abs(m2) + xh*sigma*mdyA
				dx[j] = gamma(10) * g * sigma * s
			} else {
				dx[j] = gamma(3) * g * sigma * math.Abs(dy[j])
			}
		})
	}
	return y, dx, dg, db
}

func TestBatchNormMatchesReference(t *testing.T) {
	shapes := [][]int{{3, 2, 2, 3}, {4, 3, 1, 1}, {2, 2, 5, 5}, {5, 4}} // the last: BN after a dense layer
	for si, shape := range shapes {
		for _, train := range []bool{true, false} {
			mode := map[bool]string{true: "train", false: "eval"}[train]
			r := newRand(1300 + uint64(si))
			n, c := shape[0], shape[1]
			hw := 1
			for _, d := range shape[2:] {
				hw *= d
			}
			rb := ref.BN{N: n, C: c, HW: hw, Eps: 1e-5, Momentum: 0.9}
			layer := nn.NewBatchNorm("bn", c, false)
			// Data with a channel offset and scale, so μ ≠ 0 and σ ≠ 1 matter.
			x := normals(r, n*c*hw)
			for j := range x {
				ch := (j / hw) % c
				x[j] = float64(float32(x[j]*(0.5+float64(ch)) + float64(ch) - 1))
			}
			gam, beta := uniform(r, c, 0.5, 1.5), normals(r, c)
			rm, rv := normals(r, c), uniform(r, c, 0.5, 2)
			setValue(layer.Gamma.Value.Data, gam)
			setValue(layer.Beta.Value.Data, beta)
			setValue(layer.RunMean, rm)
			setValue(layer.RunVar, rv)
			dy := normals(r, len(x))
			name := func(s string) string { return "bn " + mode + " " + s }

			y := layer.Forward(tensorOf(x, shape...), train)
			dx := layer.Backward(tensorOf(dy, shape...))
			wy, st := rb.Forward(x, gam, beta, train, rm, rv)
			wdx, wdg, wdb := rb.Backward(dy, gam, st)
			ty, tdx, tdg, tdb := bnTols(rb, x, dy, gam, beta, st)
			within(t, name("y"), y.Data, wy, ty)
			within(t, name("dx"), dx.Data, wdx, tdx)
			within(t, name("dgamma"), layer.Gamma.Grad.Data, wdg, tdg)
			within(t, name("dbeta"), layer.Beta.Grad.Data, wdb, tdb)

			// Running statistics: r ← 0.9·r + 0.1·batch (unbiased variance)
			// in float64, rounded once to float32: γ₂·(0.9|r| + 0.1|batch|).
			// Evaluation leaves them untouched: tolerance 0.
			wm, wv := rm, rv
			tm, tv := zeroTol(c), zeroTol(c)
			if train {
				wm, wv = rb.Running(x, rm, rv)
				for k := range tm {
					tm[k] = gamma(2) * (0.9*math.Abs(rm[k]) + math.Abs(wm[k]-0.9*rm[k]))
					tv[k] = gamma(2) * (0.9*math.Abs(rv[k]) + math.Abs(wv[k]-0.9*rv[k]))
				}
			}
			within(t, name("running mean"), layer.RunMean, wm, tm)
			within(t, name("running var"), layer.RunVar, wv, tv)
		}
	}
}
