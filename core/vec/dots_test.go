package vec

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// dotsForm is one of the pass's four functions, run on u, v (which it may
// ignore) with dst (nil for the sums alone); it returns the three sums,
// zero where it has none.
type dotsForm struct {
	name      string
	hasV, dst bool
	f         func(dst, u, v []float32, a, b float32) (uu, uv, vv float64)
}

var dotsForms = []dotsForm{
	{"SumSq", false, false, func(_, u, _ []float32, _, _ float32) (float64, float64, float64) {
		return SumSq(u), 0, 0
	}},
	{"ScaleSumSq", false, true, func(dst, u, _ []float32, a, _ float32) (float64, float64, float64) {
		return ScaleSumSq(dst, u, a), 0, 0
	}},
	{"Dots", true, false, func(_, u, v []float32, _, _ float32) (float64, float64, float64) {
		return Dots(u, v)
	}},
	{"AxpbyDots", true, true, AxpbyDots},
}

// wantDst is dst as the pass computed it before these functions: Go's
// a·u (+ b·v), the products rounded to float32 before the sum.
func wantDst(f dotsForm, u, v []float32, a, b float32) []float32 {
	d := make([]float32, len(u))
	for i, x := range u {
		if f.hasV {
			d[i] = float32(a*x) + float32(b*v[i])
		} else {
			d[i] = a * x
		}
	}
	return d
}

// TestDots checks the four functions: the assembly's sums and dst are the
// generic loops' bits, dst is Go's expression exactly, with dst separate
// and dst = u, and the sums are within the error bound of a float64 sum
// of exact products.
func TestDots(t *testing.T) {
	const a, b = float32(0.75), float32(-1.3)
	for di, d := range dists {
		for _, n := range lengths {
			r := rand.New(rand.NewPCG(uint64(n), 50+uint64(di)))
			u := fill(r, n, d.gen)
			v := fill(r, n, func(r *rand.Rand) float32 { return float32(r.NormFloat64()) })
			var want [3]float64
			var abs [3]float64
			for k, term := range []func(i int, z *big.Float){
				func(i int, z *big.Float) { z.Mul(big64(float64(u[i])), big64(float64(u[i]))) },
				func(i int, z *big.Float) { z.Mul(big64(float64(u[i])), big64(float64(v[i]))) },
				func(i int, z *big.Float) { z.Mul(big64(float64(v[i])), big64(float64(v[i]))) },
			} {
				want[k], abs[k] = exact(n, term)
			}
			for _, f := range dotsForms {
				wd := wantDst(f, u, v, a, b)
				for _, alias := range []bool{false, true} {
					if alias && !f.dst {
						continue
					}
					var gen [3]float64
					for _, im := range impls {
						uc := append([]float32(nil), u...)
						var dst []float32
						if f.dst {
							dst = make([]float32, n)
						}
						if alias {
							dst = uc
						}
						var got [3]float64
						withImpl(im, func() { got[0], got[1], got[2] = f.f(dst, uc, v, a, b) })
						if im == generic {
							gen = got
						} else if !same(got[0], gen[0]) || !same(got[1], gen[1]) || !same(got[2], gen[2]) {
							t.Errorf("%s n=%d %s alias=%v: %s gives %v, generic %v", d.name, n, f.name, alias, im.name, got, gen)
						}
						for k := range got {
							w, tol := want[k], gamma(n-1, u64)*abs[k]
							if k > 0 && !f.hasV {
								w, tol = 0, 0
							}
							if e := math.Abs(got[k] - w); !(e <= tol) {
								t.Errorf("%s n=%d %s %s: sum %d = %v, want %v ± %.3g", d.name, n, f.name, im.name, k, got[k], w, tol)
							}
						}
						if dst != nil {
							if i := sameSlice(dst, wd); i >= 0 {
								t.Errorf("%s n=%d %s %s alias=%v: dst[%d] = %v, want %v", d.name, n, f.name, im.name, alias, i, dst[i], wd[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestDotsSpecialValues puts a NaN or an infinity in u or v and checks the
// sums' class and dst's bits against Go's expression.
func TestDotsSpecialValues(t *testing.T) {
	const a, b = float32(1.5), float32(-0.5)
	for _, n := range []int{1, 15, 16, 17, 33, 64} {
		for _, p := range []int{0, n / 2, n - 1} {
			for _, s := range specials {
				for side := range 2 {
					r := rand.New(rand.NewPCG(uint64(n), uint64(p)))
					u := fill(r, n, func(r *rand.Rand) float32 { return float32(r.NormFloat64()) })
					v := fill(r, n, func(r *rand.Rand) float32 { return float32(r.NormFloat64()) })
					x := u
					if side == 1 {
						x = v
					}
					x[p] = s
					sf := float64(s)
					for _, f := range dotsForms {
						if side == 1 && !f.hasV {
							continue
						}
						wd := wantDst(f, u, v, a, b)
						for _, im := range impls {
							dst := make([]float32, n)
							var got [3]float64
							withImpl(im, func() { got[0], got[1], got[2] = f.f(dst, u, v, a, b) })
							// The other terms are finite, and the one at p is
							// sf² or sf times the other input's finite value.
							w := [3]float64{sf * sf, float64(u[p]) * float64(v[p]), sf * sf}
							if side == 0 {
								w[2] = 0
							} else {
								w[0] = 0
							}
							if !f.hasV {
								w[1], w[2] = 0, 0
							}
							for k := range got {
								if !class(got[k], w[k]) {
									t.Errorf("n=%d %s[%d]=%v %s %s: sum %d = %v", n, "uv"[side:side+1], p, s, f.name, im.name, k, got[k])
								}
							}
							if f.dst {
								if i := sameSlice(dst, wd); i >= 0 {
									t.Errorf("n=%d %s[%d]=%v %s %s: dst[%d] = %v, want %v", n, "uv"[side:side+1], p, s, f.name, im.name, i, dst[i], wd[i])
								}
							}
						}
					}
				}
			}
		}
	}
}

func TestDotsLengthMismatchPanics(t *testing.T) {
	a, b := make([]float32, 16), make([]float32, 17)
	for name, f := range map[string]func(){
		"ScaleSumSq":  func() { ScaleSumSq(a, b, 1) },
		"Dots":        func() { Dots(a, b) },
		"AxpbyDots u": func() { AxpbyDots(a, b, a, 1, 1) },
		"AxpbyDots v": func() { AxpbyDots(a, a, b, 1, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with lengths 16 and 17 did not panic", name)
				}
			}()
			f()
		}()
	}
}

func TestDotsNoAllocs(t *testing.T) {
	u, v, dst := make([]float32, 1500), make([]float32, 1500), make([]float32, 1500)
	for _, im := range impls {
		withImpl(im, func() {
			if a := testing.AllocsPerRun(10, func() {
				SumSq(u)
				ScaleSumSq(dst, u, 2)
				Dots(u, v)
				AxpbyDots(dst, u, v, 2, 3)
			}); a != 0 {
				t.Errorf("%s: %v allocations per call", im.name, a)
			}
		})
	}
}
