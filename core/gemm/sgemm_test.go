package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naive is Sgemm's definition in float64; it also returns Σ|op(A)op(B)| per
// element, the scale of the float32 rounding error.
func naive(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (want, scale []float64) {
	want = make([]float64, m*n)
	scale = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, abs float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if tA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if tB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				abs += math.Abs(float64(av) * float64(bv))
			}
			cv := 0.0
			if beta != 0 {
				cv = float64(beta) * float64(c[i*ldc+j])
			}
			want[i*n+j] = float64(alpha)*s + cv
			scale[i*n+j] = math.Abs(float64(alpha))*abs + math.Abs(cv)
		}
	}
	return want, scale
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func TestSgemmAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	dims := []int{0, 1, 3, 4, 5, 17, 130}
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, m := range dims {
				for _, n := range dims {
					for _, k := range []int{0, 1, 7, 129, 300} {
						checkOne(t, r, tA, tB, m, n, k, 1.5, 0.5)
					}
				}
			}
		}
	}
	checkOne(t, r, false, false, 600, 700, 50, 1, 0) // parallel path
}

func checkOne(t *testing.T, r *rand.Rand, tA, tB bool, m, n, k int, alpha, beta float32) {
	t.Helper()
	lda, ldb, ldc := k+2, n+1, n+3
	ar, br := m, k
	if tA {
		lda, ar = m+2, k
	}
	if tB {
		ldb, br = k+1, n
	}
	a := randSlice(r, ar*lda)
	b := randSlice(r, br*ldb)
	c := randSlice(r, m*ldc)
	for i := 0; i < m; i++ {
		for j := n; j < ldc; j++ {
			c[i*ldc+j] = float32(math.NaN()) // guard band between rows
		}
	}
	want, scale := naive(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	// Error bound of a length-k float32 dot product plus the final scaling.
	const u = 1.0 / (1 << 24)
	for i := 0; i < m; i++ {
		for j := 0; j < ldc; j++ {
			got := c[i*ldc+j]
			if j >= n {
				if !math.IsNaN(float64(got)) {
					t.Fatalf("tA=%v tB=%v %dx%dx%d: guard C[%d,%d] overwritten", tA, tB, m, n, k, i, j)
				}
				continue
			}
			tol := float64(k+3) * u * scale[i*n+j]
			if d := math.Abs(float64(got) - want[i*n+j]); d > tol || math.IsNaN(float64(got)) {
				t.Fatalf("tA=%v tB=%v %dx%dx%d: C[%d,%d] = %v, want %v (tol %g)", tA, tB, m, n, k, i, j, got, want[i*n+j], tol)
			}
		}
	}
}

func TestSgemmBetaZeroClearsNaN(t *testing.T) {
	c := []float32{float32(math.NaN()), float32(math.NaN())}
	Sgemm(false, false, 1, 2, 1, 1, []float32{2}, 1, []float32{3, 4}, 2, 0, c, 2)
	if c[0] != 6 || c[1] != 8 {
		t.Errorf("Sgemm with beta=0 over NaN C = %v, want [6 8]", c)
	}
}

func TestSgemmBadArgsPanic(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("Sgemm with a short A did not panic")
		}
	}()
	Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
}
