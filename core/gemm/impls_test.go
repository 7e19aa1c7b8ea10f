package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// forEachImpl runs f as a subtest once per implementation this CPU can run
// (generic, and avx2, avx512 or neon where present), so every kernel passes the same
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

// TestImplsAgree: assembly impls with the same kc sum every element of C
// in the same order with the same FMAs, so Sgemm and SgemmRows give the
// same bits on each (avx2 and avx512: a training run's figures do not
// depend on which of them the CPU has), over shapes with edge tiles, k
// past kc, transposes and both kinds of B.
func TestImplsAgree(t *testing.T) {
	asm := asmImpls()
	for x := 0; x < len(asm); x++ {
		for y := x + 1; y < len(asm); y++ {
			p, q := asm[x], asm[y]
			if p.kc != q.kc {
				continue
			}
			t.Run(p.name+"="+q.name, func(t *testing.T) {
				r := rand.New(rand.NewPCG(21, 22))
				for _, s := range [][3]int{{1, 1, 1}, {8, 32, 5}, {9, 33, 385}, {16, 100, 144}, {37, 700, 800}, {120, 1930, 30}} {
					for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
						tA, tB := tr[0], tr[1]
						m, n, k := s[0], s[1], s[2]
						a, lda, b, ldb, c, ldc := operands(r, tA, tB, m, n, k)
						rb, off, _ := rowsOperand(r, n, k)
						if tB {
							rb, off, _ = rowsOperand(r, k, n)
						}
						for _, beta := range []float32{0, -0.5} {
							what := fmt.Sprintf("tA=%v tB=%v %dx%dx%d beta=%v", tA, tB, m, n, k, beta)
							got, want := append([]float32(nil), c...), append([]float32(nil), c...)
							sgemm(p, tA, tB, m, n, k, 1.5, a, lda, b, ldb, beta, got, ldc)
							sgemm(q, tA, tB, m, n, k, 1.5, a, lda, b, ldb, beta, want, ldc)
							sameBits32(t, "Sgemm "+what, got, want)
							got, want = append([]float32(nil), c...), append([]float32(nil), c...)
							sgemmRows(p, tA, tB, m, n, k, 1.5, a, lda, rb, off, beta, got, ldc)
							sgemmRows(q, tA, tB, m, n, k, 1.5, a, lda, rb, off, beta, want, ldc)
							sameBits32(t, "SgemmRows "+what, got, want)
						}
					}
				}
			})
		}
	}
}

// sameBits32 fails unless got and want hold the same bits (NaN matching
// NaN, as in the guard band of nanC).
func sameBits32(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}
