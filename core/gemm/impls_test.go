package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// forEachImpl runs f as a subtest once per implementation this CPU can run
// (generic, and avx2 or neon where present), so every kernel passes the same
// tests.
func forEachImpl(t *testing.T, f func(t *testing.T, im *impl)) {
	for _, im := range impls {
		t.Run("impl="+im.name, func(t *testing.T) { f(t, im) })
	}
}

// asmImpls are the implementations other than generic.
func asmImpls() []*impl { return impls[1:] }

const u = 1.0 / (1 << 24) // unit roundoff of float32

// bound is the float32 error bound of one element of alpha·op(A)·op(B) +
// beta·C computed with a length-k sum: (k+2)·u·scale, scale being
// |alpha|·Σ|aᵢbᵢ| + |beta·c| (k roundings in the sum, one for alpha folded
// into A, one for adding beta·c).
func bound(k int, scale float64) float64 { return float64(k+2) * u * scale }

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// nanC returns an m×n matrix C with stride ldc filled from r, with every
// element outside the m×n window (the guard band between rows, and ldc
// elements past the end) set to NaN.
func nanC(r *rand.Rand, m, n, ldc int) []float32 {
	c := make([]float32, m*ldc+ldc)
	for i := range c {
		if i/ldc < m && i%ldc < n {
			c[i] = float32(r.NormFloat64())
		} else {
			c[i] = float32(math.NaN())
		}
	}
	return c
}

// checkGuard fails if anything outside the m×n window of c was written.
func checkGuard(t *testing.T, what string, c []float32, m, n, ldc int) {
	t.Helper()
	for i, v := range c {
		if (i/ldc >= m || i%ldc >= n) && !math.IsNaN(float64(v)) {
			t.Fatalf("%s: guard C[%d,%d] overwritten with %v", what, i/ldc, i%ldc, v)
		}
	}
}
