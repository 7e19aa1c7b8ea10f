package vec

import (
	"math"
	"math/big"
	"math/rand/v2"
)

// Unit roundoffs of float64 and float32.
const (
	u64 = 0x1p-53
	u32 = 0x1p-24
)

// gamma is γ_m = m·u/(1 − m·u), the bound on the relative error of m
// roundings (Higham): a float64 sum of m+1 terms in any order is within
// γ_m·Σ|term| of the exact sum.
func gamma(m int, u float64) float64 {
	mu := float64(max(m, 0)) * u
	return mu / (1 - mu)
}

// lengths are the lengths tested: every one up to 70 (each tail of both
// block sizes, over several blocks) and a few large ones.
var lengths = func() []int {
	var l []int
	for n := 0; n <= 70; n++ {
		l = append(l, n)
	}
	return append(l, 255, 256, 1000, 4099, 1<<16+3)
}()

// dist is a distribution of inputs, with the mean and inverse standard
// deviation BatchNorm would normalise them with (roughly).
type dist struct {
	name    string
	gen     func(r *rand.Rand) float32
	mu, is  float32
	shiftBy float64 // ShiftedSums' k is x[0] + shiftBy
}

var dists = []dist{
	{"normal", func(r *rand.Rand) float32 { return float32(r.NormFloat64()) }, 0.01, 1.03, 0},
	{"offset", func(r *rand.Rand) float32 { return float32(1000 + r.NormFloat64()) }, 1000.2, 0.97, 1.0 / 3},
	{"wide", func(r *rand.Rand) float32 {
		return float32(math.Ldexp(2*r.Float64()-1, r.IntN(40)-20))
	}, -3e-4, 3.3, 0},
}

func fill(r *rand.Rand, n int, gen func(r *rand.Rand) float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = gen(r)
	}
	return x
}

// exact returns Σ f(i) for i < n, and Σ |f(i)|, in 512-bit arithmetic
// (exact for these sums but for a negligible rounding), rounded to float64.
// f sets z to the term.
func exact(n int, f func(i int, z *big.Float)) (sum, abs float64) {
	s, a := new(big.Float).SetPrec(512), new(big.Float).SetPrec(512)
	z := new(big.Float).SetPrec(512)
	for i := 0; i < n; i++ {
		f(i, z)
		s.Add(s, z)
		a.Add(a, z.Abs(z))
	}
	sum, _ = s.Float64()
	abs, _ = a.Float64()
	return sum, abs
}

func big64(v float64) *big.Float { return new(big.Float).SetPrec(512).SetFloat64(v) }

// same reports whether a and b are the same float64, NaNs of any payload
// alike.
func same(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || a != a && b != b
}

// sameSlice returns the first index where a and b are not the same float32.
func sameSlice(a, b []float32) int {
	for i := range a {
		if !same(float64(a[i]), float64(b[i])) || math.Signbit(float64(a[i])) != math.Signbit(float64(b[i])) {
			return i
		}
	}
	return -1
}

// hat is x̂ as the package defines it, in float32.
func hat(x, mu, is float32) float32 { return (x - mu) * is }
