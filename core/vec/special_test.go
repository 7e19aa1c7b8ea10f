package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestHatIdentical checks that the three functions that compute x̂ get the
// same bits as Go's (x − mu)·is in float32, which BatchNorm relies on.
func TestHatIdentical(t *testing.T) {
	for di, d := range dists {
		for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 31, 33, 49, 64, 100} {
			r := rand.New(rand.NewPCG(uint64(n), 40+uint64(di)))
			x := fill(r, n, d.gen)
			for _, im := range impls {
				withImpl(im, func() {
					// Normalize with g = 1, b = 0 returns x̂.
					dst := make([]float32, n)
					Normalize(dst, x, d.mu, d.is, 1, 0)
					for i, v := range dst {
						if h := hat(x[i], d.mu, d.is); v != h {
							t.Errorf("%s n=%d %s: Normalize x̂[%d] = %v, want %v", d.name, n, im.name, i, v, h)
						}
					}
					// NormGrad with dy = 0, scale = 1, mdy = 0, mdyx = −1
					// returns 0 − 0 − x̂·(−1) = x̂.
					zero := make([]float32, n)
					NormGrad(dst, zero, x, d.mu, d.is, 1, 0, -1)
					for i, v := range dst {
						if h := hat(x[i], d.mu, d.is); v != h {
							t.Errorf("%s n=%d %s: NormGrad x̂[%d] = %v, want %v", d.name, n, im.name, i, v, h)
						}
					}
					// DotHat with dy one-hot at i returns Σdy·x̂ = x̂[i].
					for i := range x {
						zero[i] = 1
						_, s := DotHat(zero, x, d.mu, d.is)
						zero[i] = 0
						if h := hat(x[i], d.mu, d.is); s != float64(h) {
							t.Errorf("%s n=%d %s: DotHat x̂[%d] = %v, want %v", d.name, n, im.name, i, s, h)
						}
					}
				})
			}
		}
	}
}

// class reports whether got is what a float64 evaluation want of the same
// formula says about NaN and infinities: NaN if want is, want if it is
// infinite, finite otherwise.
func class(got, want float64) bool {
	switch {
	case math.IsNaN(want):
		return math.IsNaN(got)
	case math.IsInf(want, 0):
		return got == want
	}
	return !math.IsNaN(got) && !math.IsInf(got, 0)
}

func TestSpecialValues(t *testing.T) {
	const mu, is, g, b = 0.5, 2.0, 1.5, 0.25
	const scale, mdy, mdyx = 2.0, 0.1, 0.5
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 49, 64} {
		for _, p := range []int{0, n / 2, n - 1} {
			for _, v := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
				r := rand.New(rand.NewPCG(uint64(n), uint64(p)))
				x := fill(r, n, func(r *rand.Rand) float32 { return float32(r.NormFloat64()) })
				dy := fill(r, n, func(r *rand.Rand) float32 { return float32(r.NormFloat64()) })
				x[p], dy[p] = v, 1
				vf := float64(v)
				for _, im := range impls {
					withImpl(im, func() {
						s, ss := ShiftedSums(x, 0)
						if !class(s, vf) || !class(ss, vf*vf) {
							t.Errorf("n=%d x[%d]=%v %s: ShiftedSums = (%v, %v)", n, p, v, im.name, s, ss)
						}
						dst := make([]float32, n)
						Normalize(dst, x, mu, is, g, b)
						for i, got := range dst {
							want := 0.0 // finite
							if i == p {
								want = g*((vf-mu)*is) + b
							}
							if !class(float64(got), want) {
								t.Errorf("n=%d x[%d]=%v %s: Normalize dst[%d] = %v", n, p, v, im.name, i, got)
							}
						}
						sdy, sdyx := DotHat(dy, x, mu, is)
						if !class(sdy, 0) || !class(sdyx, (vf-mu)*is) {
							t.Errorf("n=%d x[%d]=%v %s: DotHat = (%v, %v)", n, p, v, im.name, sdy, sdyx)
						}
						NormGrad(dst, dy, x, mu, is, scale, mdy, mdyx)
						for i, got := range dst {
							want := 0.0
							if i == p {
								want = scale * (1 - mdy - (vf-mu)*is*mdyx)
							}
							if !class(float64(got), want) {
								t.Errorf("n=%d x[%d]=%v %s: NormGrad dst[%d] = %v", n, p, v, im.name, i, got)
							}
						}
						// The same value in dy, with x̂ = 1 there.
						x[p], dy[p] = mu+1/is, v
						sdy, sdyx = DotHat(dy, x, mu, is)
						if !class(sdy, vf) || !class(sdyx, vf) {
							t.Errorf("n=%d dy[%d]=%v %s: DotHat = (%v, %v)", n, p, v, im.name, sdy, sdyx)
						}
						NormGrad(dst, dy, x, mu, is, scale, mdy, mdyx)
						if !class(float64(dst[p]), scale*(vf-mdy-mdyx)) {
							t.Errorf("n=%d dy[%d]=%v %s: NormGrad dst[%d] = %v", n, p, v, im.name, p, dst[p])
						}
						x[p], dy[p] = v, 1
					})
				}
			}
		}
	}
}

func TestLengthMismatchPanics(t *testing.T) {
	a, b := make([]float32, 16), make([]float32, 17)
	for name, f := range map[string]func(){
		"Normalize":   func() { Normalize(a, b, 0, 1, 1, 0) },
		"DotHat":      func() { DotHat(a, b, 0, 1) },
		"NormGrad dy": func() { NormGrad(a, b, a, 0, 1, 1, 0, 0) },
		"NormGrad x":  func() { NormGrad(a, a, b, 0, 1, 1, 0, 0) },
		"Relu":        func() { Relu(a, b) },
		"ReluGrad dy": func() { ReluGrad(a, b, a) },
		"ReluGrad y":  func() { ReluGrad(a, a, b) },
		"Add a":       func() { Add(a, b, a) },
		"Add b":       func() { Add(a, a, b) },
		"AddRelu a":   func() { AddRelu(a, b, a) },
		"AddRelu b":   func() { AddRelu(a, a, b) },
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

func TestNoAllocs(t *testing.T) {
	x, dy, dst := make([]float32, 49), make([]float32, 49), make([]float32, 49)
	for _, im := range impls {
		withImpl(im, func() {
			if a := testing.AllocsPerRun(10, func() {
				ShiftedSums(x, 1)
				Normalize(dst, x, 0, 1, 1, 0)
				DotHat(dy, x, 0, 1)
				NormGrad(dst, dy, x, 0, 1, 1, 0, 0)
				Relu(dst, x)
				ReluGrad(dst, dy, x)
				Add(dst, dy, x)
				AddRelu(dst, dy, x)
			}); a != 0 {
				t.Errorf("%s: %v allocations per call", im.name, a)
			}
		})
	}
}
