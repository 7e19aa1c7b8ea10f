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

// TestPlanes: NormalizePlanes and NormGradPlanes give, on every impl, bit
// for bit what Normalize and NormGrad give plane by plane, and
// NormalizeAddReluPlanes what NormalizePlanes and AddRelu give, for plane sizes
// around the vectors' eight values (4×4, 7×7 and 28×28 among them) and
// parameters that differ from plane to plane.
func TestPlanes(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	gauss := func(r *rand.Rand) float32 { return float32(r.NormFloat64()) }
	for _, hw := range []int{0, 1, 3, 7, 8, 9, 15, 16, 17, 49, 196, 784} {
		for _, n := range []int{0, 1, 2, 5} {
			x, dy := fill(r, n*hw, dists[1].gen), fill(r, n*hw, gauss)
			mu, is, g, b, mdy := fill(r, n, gauss), fill(r, n, gauss), fill(r, n, gauss), fill(r, n, gauss), fill(r, n, gauss)
			// A shortcut with zeros of both signs, a NaN, an infinity
			// and values that cancel the normalised ones.
			sc := fill(r, n*hw, gauss)
			for i, v := range []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(-1))} {
				if i < len(sc) {
					sc[i*len(sc)/4] = v
				}
			}
			wantN, wantG, wantS := make([]float32, n*hw), make([]float32, n*hw), make([]float32, n*hw)
			for p := 0; p < n; p++ {
				s := p * hw
				Normalize(wantN[s:s+hw], x[s:s+hw], mu[p], is[p], g[p], b[p])
				NormGrad(wantG[s:s+hw], dy[s:s+hw], x[s:s+hw], mu[p], is[p], g[p], mdy[p], b[p])
			}
			AddRelu(wantS, wantN, sc)
			for _, im := range impls {
				gotN, gotG, gotS := fill(r, n*hw+1, gauss), fill(r, n*hw+1, gauss), fill(r, n*hw+1, gauss)
				lastN, lastG, lastS := gotN[n*hw], gotG[n*hw], gotS[n*hw]
				withImpl(im, func() {
					NormalizePlanes(gotN[:n*hw], x, hw, mu, is, g, b)
					NormGradPlanes(gotG[:n*hw], dy, x, hw, mu, is, g, mdy, b)
					NormalizeAddReluPlanes(gotS[:n*hw], x, sc, hw, mu, is, g, b)
				})
				if i := sameSlice(gotN[:n*hw], wantN); i >= 0 {
					t.Errorf("%s hw=%d n=%d: NormalizePlanes dst[%d] = %v, per plane %v", im.name, hw, n, i, gotN[i], wantN[i])
				}
				if i := sameSlice(gotG[:n*hw], wantG); i >= 0 {
					t.Errorf("%s hw=%d n=%d: NormGradPlanes dst[%d] = %v, per plane %v", im.name, hw, n, i, gotG[i], wantG[i])
				}
				if i := sameSlice(gotS[:n*hw], wantS); i >= 0 {
					t.Errorf("%s hw=%d n=%d: NormalizeAddReluPlanes dst[%d] = %v, NormalizePlanes then AddRelu %v", im.name, hw, n, i, gotS[i], wantS[i])
				}
				if gotN[n*hw] != lastN || gotG[n*hw] != lastG || gotS[n*hw] != lastS {
					t.Errorf("%s hw=%d n=%d: wrote past the last plane", im.name, hw, n)
				}
			}
		}
	}
}

func TestPlanesChecksBounds(t *testing.T) {
	for _, f := range []func(){
		func() {
			NormalizePlanes(make([]float32, 7), make([]float32, 8), 4, make([]float32, 2), make([]float32, 2), make([]float32, 2), make([]float32, 2))
		},
		func() {
			NormalizePlanes(make([]float32, 8), make([]float32, 8), 4, make([]float32, 2), make([]float32, 1), make([]float32, 2), make([]float32, 2))
		},
		func() {
			NormGradPlanes(make([]float32, 8), make([]float32, 5), make([]float32, 8), 4, make([]float32, 2), make([]float32, 2), make([]float32, 2), make([]float32, 2), make([]float32, 2))
		},
		func() {
			NormGradPlanes(make([]float32, 8), make([]float32, 8), make([]float32, 8), -1, nil, nil, nil, nil, nil)
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic on slices too short for their planes")
				}
			}()
			f()
		}()
	}
}
