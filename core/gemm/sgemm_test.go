package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// naive is Sgemm's definition in float64; it also returns the scale of the
// float32 rounding error per element (see bound).
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

// operands makes A, B and a NaN-guarded C for op(A) m×k, op(B) k×n with
// strides larger than the rows they hold.
func operands(r *rand.Rand, tA, tB bool, m, n, k int) (a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	lda, ldb, ldc = k+2, n+1, n+3
	ar, br := m, k
	if tA {
		lda, ar = m+2, k
	}
	if tB {
		ldb, br = k+1, n
	}
	return randSlice(r, ar*lda), lda, randSlice(r, br*ldb), ldb, nanC(r, m, n, ldc), ldc
}

func checkOne(t *testing.T, im *impl, r *rand.Rand, tA, tB bool, m, n, k int, alpha, beta float32) {
	t.Helper()
	a, lda, b, ldb, c, ldc := operands(r, tA, tB, m, n, k)
	want, scale := naive(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	sgemm(im, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	what := fmt.Sprintf("tA=%v tB=%v %dx%dx%d alpha=%v beta=%v", tA, tB, m, n, k, alpha, beta)
	checkGuard(t, what, c, m, n, ldc)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			got := c[i*ldc+j]
			tol := bound(k, scale[i*n+j])
			if d := math.Abs(float64(got) - want[i*n+j]); !(d <= tol) {
				t.Fatalf("%s: C[%d,%d] = %v, want %v (tol %g)", what, i, j, got, want[i*n+j], tol)
			}
		}
	}
}

func TestSgemmAgainstNaive(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(1, 2))
		mr, nr := im.mr, im.nr
		ms := []int{0, 1, mr - 1, mr, mr + 1, 2*mr + 3, im.mc + 1}
		ns := []int{0, 1, nr - 1, nr, nr + 1, 3*nr + 5}
		ks := []int{0, 1, 3, 7, 9, im.kc + 5}
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, m := range ms {
					for _, n := range ns {
						for _, k := range ks {
							checkOne(t, im, r, tA, tB, m, n, k, 1.5, 0.5)
						}
					}
				}
			}
		}
		for _, ab := range [][2]float32{{1, 0}, {1, 1}, {-2, 0}, {0, 2}, {0.5, -1}} {
			checkOne(t, im, r, false, false, 2*mr+1, 2*nr+1, 2*im.kc+1, ab[0], ab[1])
		}
		checkOne(t, im, r, false, false, 5, im.nc+nr+3, 11, 1, 0.5) // several nc panels
		checkOne(t, im, r, true, true, 300, 200, 50, 1, 0)          // parallel path
	})
}

func TestSgemmBetaZeroClearsNaN(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		for _, k := range []int{0, 1} {
			c := []float32{float32(math.NaN()), float32(math.NaN())}
			sgemm(im, false, false, 1, 2, k, 1, []float32{2}, 1, []float32{3, 4}, 2, 0, c, 2)
			want := []float32{6, 8}
			if k == 0 {
				want = []float32{0, 0}
			}
			if !slices.Equal(c, want) {
				t.Errorf("k=%d: Sgemm with beta=0 over NaN C = %v, want %v", k, c, want)
			}
		}
	})
}

func TestSgemmBadArgsPanic(t *testing.T) {
	cases := []struct {
		name string
		f    func()
	}{
		{"short A", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		}},
		{"small ldc", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 4), 1)
		}},
		{"negative m", func() { Sgemm(false, false, -1, 2, 2, 1, nil, 2, nil, 2, 0, nil, 2) }},
	}
	for _, tc := range cases {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Sgemm with %s did not panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
}

// TestSgemmThreadInvariant checks the promise in the package doc: results
// are bit for bit the same whatever GOMAXPROCS, so whatever the split.
func TestSgemmThreadInvariant(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, s := range [][3]int{{131, 97, 700}, {37, 901, 300}, {400, 40, 33}, {9, 3100, 40}} {
			m, n, k := s[0], s[1], s[2]
			a, lda, b, ldb, c0, ldc := operands(r, false, true, m, n, k)
			var first []float32
			for _, procs := range []int{1, 2, 3, 5} {
				runtime.GOMAXPROCS(procs)
				c := slices.Clone(c0)
				sgemm(im, false, true, m, n, k, 1.25, a, lda, b, ldb, 0.75, c, ldc)
				if first == nil {
					first = c
					continue
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
						t.Fatalf("%dx%dx%d: GOMAXPROCS=%d gives C[%d] = %v, GOMAXPROCS=1 gives %v",
							m, n, k, procs, i, c[i], first[i])
					}
				}
			}
		}
	})
}

// TestSgemmNoAllocs checks that after warm-up a call allocates nothing,
// single-threaded or split across the worker pool.
func TestSgemmNoAllocs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	forEachImpl(t, func(t *testing.T, im *impl) {
		m, n, k := 64, 300, 200
		a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		for _, tr := range []bool{false, true} {
			lda, ldb := k, n
			if tr {
				lda, ldb = m, k
			}
			allocs := testing.AllocsPerRun(20, func() {
				sgemm(im, tr, tr, m, n, k, 1, a, lda, b, ldb, 0, c, n)
			})
			if allocs != 0 {
				t.Errorf("transposed=%v: %v allocs per call, want 0", tr, allocs)
			}
		}
	})
}

// TestInPlaceBIsExact: a stored B, which the rows kernel reads where it
// lies (inPlaceB) when k ≤ maxInPlaceK or a goroutine computes at most
// maxInPlaceRows rows of C, gives C bit for bit as the same B transposed,
// which is packed: the kernels sum alike. Shapes with edge panels and
// tiles, k and a goroutine's rows on both sides of the bounds (k past kc
// too; 300 rows split in two at two threads, 600 not below the bound),
// one and two threads, alpha 1 (A read in place too) and not.
func TestInPlaceBIsExact(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, s := range [][3]int{{64, 64, 64}, {13, 77, 1}, {9, 3100, 27}, {100, 41, 256}, {33, 70, 257}, {16, 2000, 144}, {20, 90, 600}, {300, 40, 300}, {600, 40, 300}} {
			m, n, k := s[0], s[1], s[2]
			a, b := randSlice(r, m*k), randSlice(r, k*n)
			bT := make([]float32, n*k)
			for p := 0; p < k; p++ {
				for j := 0; j < n; j++ {
					bT[j*k+p] = b[p*n+j]
				}
			}
			c0 := randSlice(r, m*n)
			for _, procs := range []int{1, 2} {
				runtime.GOMAXPROCS(procs)
				for _, alpha := range []float32{-0.5, 1} { // 1: A read in place too
					want, got := slices.Clone(c0), slices.Clone(c0)
					sgemm(im, false, true, m, n, k, alpha, a, k, bT, k, 0.5, want, n)
					sgemm(im, false, false, m, n, k, alpha, a, k, b, n, 0.5, got, n)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%dx%dx%d, %d threads, alpha %v: C[%d] = %v with B stored, %v with Bᵀ", m, n, k, procs, alpha, i, got[i], want[i])
						}
					}
				}
			}
		}
	})
}
