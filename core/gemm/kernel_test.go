package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// tileScale is the error scale (see bound) of each element of one kernel
// call: Σ|a·b| over k plus |beta·c|.
func tileScale(im *impl, k int, a, b, c []float32, ldc int, beta float32) []float64 {
	s := make([]float64, im.mr*im.nr)
	for i := 0; i < im.mr; i++ {
		for j := 0; j < im.nr; j++ {
			for p := 0; p < k; p++ {
				s[i*im.nr+j] += math.Abs(float64(a[p*im.mr+i]) * float64(b[p*im.nr+j]))
			}
			if beta != 0 {
				s[i*im.nr+j] += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
		}
	}
	return s
}

// checkKernel runs im's kernel and kernelGeneric on the same packed panels
// and a NaN-guarded C tile with stride ldc, and compares them. Each is within
// bound(k, scale) of the exact result, so they differ by at most twice that.
func checkKernel(t *testing.T, im *impl, r *rand.Rand, k, ldc int, beta float32) {
	t.Helper()
	a, b := randSlice(r, im.mr*k), randSlice(r, im.nr*k)
	c := nanC(r, im.mr, im.nr, ldc)
	if beta == 0 {
		for i := 0; i < im.mr; i++ {
			for j := 0; j < im.nr; j++ {
				c[i*ldc+j] = float32(math.NaN()) // must not survive
			}
		}
	}
	want := append([]float32(nil), c...)
	scale := tileScale(im, k, a, b, c, ldc, beta)
	im.kernel(k, a, b, c, ldc, beta)
	kernelGeneric(im.mr, im.nr, k, a, b, want, ldc, beta)
	what := fmt.Sprintf("%s k=%d ldc=%d beta=%v", im.name, k, ldc, beta)
	checkGuard(t, what, c, im.mr, im.nr, ldc)
	for i := 0; i < im.mr; i++ {
		for j := 0; j < im.nr; j++ {
			got, w := float64(c[i*ldc+j]), float64(want[i*ldc+j])
			if d := math.Abs(got - w); !(d <= 2*bound(k, scale[i*im.nr+j])) {
				t.Fatalf("%s: C[%d,%d] = %v, generic gives %v", what, i, j, got, w)
			}
		}
	}
}

func TestKernel(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, k := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 100, 385} {
			for _, ldc := range []int{im.nr, im.nr + 1, 3*im.nr + 7} {
				for _, beta := range []float32{0, 1, -0.5} {
					checkKernel(t, im, r, k, ldc, beta)
				}
			}
		}
	})
}

// FuzzKernel compares each assembly implementation with generic, both the
// bare micro-kernel (and its rows form with its packed form) and whole Sgemm calls over small odd shapes (edge tiles,
// transposes, strides wider than the rows).
func FuzzKernel(f *testing.F) {
	for _, im := range asmImpls() {
		for _, d := range []int{0, 1, im.mr - 1, im.mr, im.mr + 1, im.nr - 1, im.nr + 1} {
			f.Add(uint64(d), uint8(d), uint8(im.nr+1), uint8(d+3), uint8(2), false, true, float32(0))
		}
	}
	f.Add(uint64(9), uint8(13), uint8(17), uint8(5), uint8(0), true, false, float32(1))
	f.Fuzz(func(t *testing.T, seed uint64, m, n, k, pad uint8, tA, tB bool, beta float32) {
		if math.IsNaN(float64(beta)) || math.IsInf(float64(beta), 0) || math.Abs(float64(beta)) > 1e3 {
			t.Skip()
		}
		r := rand.New(rand.NewPCG(seed, 7))
		for _, im := range asmImpls() {
			checkKernel(t, im, r, int(k), im.nr+int(pad%32), beta)
			checkRowsKernel(t, im, r, int(k), im.nr+int(pad%32), beta)
			checkAgainstGeneric(t, im, r, tA, tB, int(m), int(n), int(k), int(pad%8), beta)
		}
	})
}

// checkAgainstGeneric runs one Sgemm on im and on generic and compares them
// element by element within twice the error bound.
func checkAgainstGeneric(t *testing.T, im *impl, r *rand.Rand, tA, tB bool, m, n, k, pad int, beta float32) {
	t.Helper()
	a, lda, b, ldb, c, ldc := operands(r, tA, tB, m, n, k)
	if pad > 0 { // a wider C
		ldc += pad
		c = nanC(r, m, n, ldc)
	}
	want := append([]float32(nil), c...)
	_, scale := naive(tA, tB, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
	sgemm(im, tA, tB, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
	sgemm(generic, tA, tB, m, n, k, 1, a, lda, b, ldb, beta, want, ldc)
	what := fmt.Sprintf("%s tA=%v tB=%v %dx%dx%d ldc=%d beta=%v", im.name, tA, tB, m, n, k, ldc, beta)
	checkGuard(t, what, c, m, n, ldc)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			got, w := float64(c[i*ldc+j]), float64(want[i*ldc+j])
			if d := math.Abs(got - w); !(d <= 2*bound(k, scale[i*n+j])) {
				t.Fatalf("%s: C[%d,%d] = %v, generic gives %v", what, i, j, got, w)
			}
		}
	}
}
