package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestNormalize(t *testing.T) {
	var g, b float32 = 1.7, -0.3
	for di, d := range dists {
		for _, n := range lengths {
			r := rand.New(rand.NewPCG(uint64(n), 20+uint64(di)))
			x := fill(r, n, d.gen)
			var gen []float32
			for _, im := range impls {
				dst := make([]float32, n)
				withImpl(im, func() { Normalize(dst, x, d.mu, d.is, g, b) })
				if im == generic {
					gen = dst
				} else if i := sameSlice(dst, gen); i >= 0 {
					t.Errorf("%s n=%d: %s gives dst[%d] = %v, generic %v", d.name, n, im.name, i, dst[i], gen[i])
				}
				// g·x̂ and + b round once each.
				for i, v := range dst {
					gh, b := float64(g)*float64(hat(x[i], d.mu, d.is)), float64(b)
					if e, tol := math.Abs(float64(v)-(gh+b)), gamma(2, u32)*(math.Abs(gh)+math.Abs(b)); !(e <= tol) {
						t.Errorf("%s n=%d %s: dst[%d] = %v, want %v ± %.3g", d.name, n, im.name, i, v, gh+b, tol)
						break
					}
				}
			}
		}
	}
}

func TestNormGrad(t *testing.T) {
	var scale, mdy, mdyx float32 = 0.8, 0.05, -0.4
	for di, d := range dists {
		for _, n := range lengths {
			r := rand.New(rand.NewPCG(uint64(n), 30+uint64(di)))
			x := fill(r, n, d.gen)
			dy := fill(r, n, func(r *rand.Rand) float32 { return float32(r.NormFloat64()) })
			var gen []float32
			for _, im := range impls {
				dst := make([]float32, n)
				withImpl(im, func() { NormGrad(dst, dy, x, d.mu, d.is, scale, mdy, mdyx) })
				if im == generic {
					gen = dst
				} else if i := sameSlice(dst, gen); i >= 0 {
					t.Errorf("%s n=%d: %s gives dst[%d] = %v, generic %v", d.name, n, im.name, i, dst[i], gen[i])
				}
				// dy − mdy, x̂·mdyx, the difference and the product by
				// scale round once each; each term passes three.
				for i, v := range dst {
					scale, mdy := float64(scale), float64(mdy)
					a, m := float64(dy[i])-mdy, float64(hat(x[i], d.mu, d.is))*float64(mdyx)
					want := scale * (a - m)
					tol := gamma(3, u32) * scale * (math.Abs(float64(dy[i])) + mdy + math.Abs(m))
					if e := math.Abs(float64(v) - want); !(e <= tol) {
						t.Errorf("%s n=%d %s: dst[%d] = %v, want %v ± %.3g", d.name, n, im.name, i, v, want, tol)
						break
					}
				}
			}
		}
	}
}
