package vec

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestShiftedSums(t *testing.T) {
	for di, d := range dists {
		for _, n := range lengths {
			r := rand.New(rand.NewPCG(uint64(n), uint64(di)))
			x := fill(r, n, d.gen)
			k := d.shiftBy
			if n > 0 {
				k += float64(x[0])
			}
			// d = x − k rounds once; d² twice more; the sum adds n terms.
			ws, as := exact(n, func(i int, z *big.Float) { z.Sub(big64(float64(x[i])), big64(k)) })
			wss, ass := exact(n, func(i int, z *big.Float) {
				z.Sub(big64(float64(x[i])), big64(k))
				z.Mul(z, z)
			})
			var gs, gss float64
			for _, im := range impls {
				var s, ss float64
				withImpl(im, func() { s, ss = ShiftedSums(x, k) })
				if im == generic {
					gs, gss = s, ss
				} else if !same(s, gs) || !same(ss, gss) {
					t.Errorf("%s n=%d: %s gives (%v, %v), generic (%v, %v)", d.name, n, im.name, s, ss, gs, gss)
				}
				if e, tol := math.Abs(s-ws), gamma(n, u64)*as; !(e <= tol) {
					t.Errorf("%s n=%d %s: Σ(x−k) = %v, want %v ± %.3g", d.name, n, im.name, s, ws, tol)
				}
				if e, tol := math.Abs(ss-wss), gamma(n+2, u64)*ass; !(e <= tol) {
					t.Errorf("%s n=%d %s: Σ(x−k)² = %v, want %v ± %.3g", d.name, n, im.name, ss, wss, tol)
				}
			}
		}
	}
}

func TestDotHat(t *testing.T) {
	for di, d := range dists {
		for _, n := range lengths {
			r := rand.New(rand.NewPCG(uint64(n), 10+uint64(di)))
			x := fill(r, n, d.gen)
			dy := fill(r, n, func(r *rand.Rand) float32 { return float32(r.NormFloat64()) })
			// Both sums add n terms exact in float64 (a product of two
			// float32 is).
			wdy, ady := exact(n, func(i int, z *big.Float) { z.Set(big64(float64(dy[i]))) })
			wdyx, adyx := exact(n, func(i int, z *big.Float) {
				z.Mul(big64(float64(dy[i])), big64(float64(hat(x[i], d.mu, d.is))))
			})
			var g1, g2 float64
			for _, im := range impls {
				var sdy, sdyx float64
				withImpl(im, func() { sdy, sdyx = DotHat(dy, x, d.mu, d.is) })
				if im == generic {
					g1, g2 = sdy, sdyx
				} else if !same(sdy, g1) || !same(sdyx, g2) {
					t.Errorf("%s n=%d: %s gives (%v, %v), generic (%v, %v)", d.name, n, im.name, sdy, sdyx, g1, g2)
				}
				if e, tol := math.Abs(sdy-wdy), gamma(n-1, u64)*ady; !(e <= tol) {
					t.Errorf("%s n=%d %s: Σdy = %v, want %v ± %.3g", d.name, n, im.name, sdy, wdy, tol)
				}
				if e, tol := math.Abs(sdyx-wdyx), gamma(n-1, u64)*adyx; !(e <= tol) {
					t.Errorf("%s n=%d %s: Σdy·x̂ = %v, want %v ± %.3g", d.name, n, im.name, sdyx, wdyx, tol)
				}
			}
		}
	}
}
