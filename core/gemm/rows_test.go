package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// rowsOperand returns k row offsets into a slice b of random values, rows
// n long that overlap as a convolution's shifted rows do (and some that
// repeat), and the k×n matrix they make stored (ldb = n) for Sgemm.
func rowsOperand(r *rand.Rand, n, k int) (b []float32, off []int, stored []float32) {
	b = randSlice(r, 3*n+k+8)
	off = make([]int, k)
	for p := range off {
		off[p] = r.IntN(len(b) - n + 1)
	}
	stored = make([]float32, k*n)
	for p, o := range off {
		copy(stored[p*n:(p+1)*n], b[o:o+n])
	}
	return b, off, stored
}

// TestSgemmRows checks SgemmRows against Sgemm on B stored, bit for bit, on
// every implementation (the AVX2 one reads B in place, the others pack it),
// B as R and as Rᵀ, over shapes with edge tiles on both sides, one and two
// threads. With alpha 1 the rows kernels read A in place too; with k over
// 256 the stored B is packed, so Sgemm packs A and is an independent
// reference, and a k over kc (16×…×389) puts the second slice of k at an
// offset into A's rows.
func TestSgemmRows(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(11, 12))
		shapes := [][3]int{{1, 1, 1}, {4, 24, 3}, {5, 23, 7}, {im.mr, im.nr, 4}, {im.mr + 1, im.nr + 1, 9},
			{16, 100, 144}, {7, 3*im.nr + 5, 389}, {16, 3*im.nr + 5, 389}, {33, 2100, 20}, {16, 4000, 30}, {5, 7, 2100}}
		for _, procs := range []int{1, 2} {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			for _, s := range shapes {
				for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
					tA, tB := tr[0], tr[1]
					m, n, k := s[0], s[1], s[2]
					a, lda, _, _, c, ldc := operands(r, tA, false, m, n, k)
					b, off, stored := rowsOperand(r, n, k)
					ldb := n
					if tB {
						b, off, stored = rowsOperand(r, k, n)
						ldb = k
					}
					for _, ab := range [][2]float32{{1.5, 0}, {1.5, 1}, {1.5, -0.5}, {1, 0}, {1, 1}} {
						alpha, beta := ab[0], ab[1]
						got := append([]float32(nil), c...)
						want := append([]float32(nil), c...)
						sgemmRows(im, tA, tB, m, n, k, alpha, a, lda, b, off, beta, got, ldc)
						sgemm(im, tA, tB, m, n, k, alpha, a, lda, stored, ldb, beta, want, ldc)
						what := fmt.Sprintf("%s procs=%d tA=%v tB=%v %dx%dx%d alpha=%v beta=%v", im.name, procs, tA, tB, m, n, k, alpha, beta)
						checkGuard(t, what, got, m, n, ldc)
						if (&call{im: im, tA: tA, tB: tB, off: off}).dotCall() {
							// Summed in another order (dot.go): within the
							// error bound of the exact result.
							exact, scale := naive(tA, tB, m, n, k, alpha, a, lda, stored, ldb, beta, c, ldc)
							for i := 0; i < m; i++ {
								for j := 0; j < n; j++ {
									if d := math.Abs(float64(got[i*ldc+j]) - exact[i*n+j]); !(d <= bound(k, scale[i*n+j])) {
										t.Fatalf("%s: C[%d,%d] = %v, want %v", what, i, j, got[i*ldc+j], exact[i*n+j])
									}
								}
							}
							continue
						}
						sameBits32(t, what+" against Sgemm on B stored", got, want)
					}
				}
			}
		}
	})
}

// checkRowsKernel runs im's rows kernel and its plain kernel on the same
// B panel, read in place and packed, and requires the same bits; and
// likewise its in-place-A rows kernel, A's rows lda apart.
func checkRowsKernel(t *testing.T, im *impl, r *rand.Rand, k, ldc int, beta float32) {
	t.Helper()
	if im.rowsKernel == nil {
		return
	}
	a := randSlice(r, im.mr*k)
	b, off, panel := rowsOperand(r, im.nr, k)
	c := nanC(r, im.mr, im.nr, ldc)
	orig := append([]float32(nil), c...)
	want := append([]float32(nil), c...)
	im.rowsKernel(k, a, b, off, c, ldc, beta)
	im.kernel(k, a, panel, want, ldc, beta)
	what := fmt.Sprintf("%s rows kernel k=%d ldc=%d beta=%v", im.name, k, ldc, beta)
	checkGuard(t, what, c, im.mr, im.nr, ldc)
	sameTile(t, what, im, c, want, ldc)
	if im.rowsAKernel == nil {
		return
	}
	// The same tile with A's rows in place, lda apart.
	lda := k + 5
	rowsA := randSlice(r, (im.mr-1)*lda+k)
	for i := 0; i < im.mr; i++ {
		for p := 0; p < k; p++ {
			rowsA[i*lda+p] = a[p*im.mr+i]
		}
	}
	copy(c, orig)
	im.rowsAKernel(k, rowsA, lda, b, off, c, ldc, beta)
	what = fmt.Sprintf("%s in-place-A rows kernel k=%d ldc=%d beta=%v", im.name, k, ldc, beta)
	checkGuard(t, what, c, im.mr, im.nr, ldc)
	sameTile(t, what, im, c, want, ldc)
}

// sameTile requires the bits of C's tile in c to be those in want.
func sameTile(t *testing.T, what string, im *impl, c, want []float32, ldc int) {
	t.Helper()
	for i := 0; i < im.mr; i++ {
		for j := 0; j < im.nr; j++ {
			if g, w := c[i*ldc+j], want[i*ldc+j]; math.Float32bits(g) != math.Float32bits(w) {
				t.Fatalf("%s: C[%d,%d] = %v, the kernel on the packed panel gives %v", what, i, j, g, w)
			}
		}
	}
}

func TestRowsKernel(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(13, 14))
		for _, k := range []int{0, 1, 3, 4, 5, 8, 9, 100, 385} {
			for _, beta := range []float32{0, 1, -0.5} {
				checkRowsKernel(t, im, r, k, im.nr+3, beta)
			}
		}
	})
}

// TestDotKernel compares each dot kernel with dotGeneric, lane by lane,
// within the error bound of each lane's sum (k/8 products, plus the
// lane's starting value), on rows at odd offsets.
func TestDotKernel(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		if im.dotKernel == nil {
			return
		}
		r := rand.New(rand.NewPCG(17, 18))
		mr, nr, tile := im.dotMR, im.dotNR, im.dotTile()
		for _, k := range []int{0, 8, 16, 24, 40, 1024} {
			a, b := randSlice(r, (mr+1)*k+9), randSlice(r, (nr+1)*k+7)
			aoff, boff := make([]int, mr), make([]int, nr)
			for i := range aoff {
				aoff[i] = r.IntN(k+9) + i*k // rows at odd offsets, may overlap
			}
			for j := range boff {
				boff[j] = r.IntN(k+7) + j*k
			}
			got, want := randSlice(r, tile), make([]float32, tile)
			copy(want, got)
			scale := make([]float64, tile)
			for i, ao := range aoff {
				for j, bo := range boff {
					for p := 0; p < k; p++ {
						scale[(i*nr+j)*8+p%8] += math.Abs(float64(a[ao+p]) * float64(b[bo+p]))
					}
				}
			}
			im.dotKernel(k, a, aoff, b, boff, got)
			dotGeneric(mr, nr, k, a, aoff, b, boff, want)
			for l := range got {
				sc := scale[l] + math.Abs(float64(want[l]))
				if d := math.Abs(float64(got[l]) - float64(want[l])); !(d <= 2*bound(k/8, sc)) {
					t.Fatalf("%s k=%d: lane %d = %v, dotGeneric gives %v", im.name, k, l, got[l], want[l])
				}
			}
		}
	})
}

// TestKernelRowsGeneric pins the rows kernels' meaning to kernelGeneric.
func TestKernelRowsGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	const mr, nr, k, ldc = 4, 24, 37, 24
	a := randSlice(r, mr*k)
	b, off, panel := rowsOperand(r, nr, k)
	got, want := make([]float32, mr*ldc), make([]float32, mr*ldc)
	kernelRowsGeneric(mr, nr, k, a, b, off, got, ldc, 0)
	kernelGeneric(mr, nr, k, a, panel, want, ldc, 0)
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("C[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestSgemmRowsBadOffsets(t *testing.T) {
	b := make([]float32, 10)
	c := make([]float32, 4)
	for _, tc := range []struct {
		off  []int
		want string
	}{
		{[]int{0}, "1 row offsets for 2 rows of B"},
		{[]int{0, 7}, "row 1 of B at offset 7: 4 columns overrun its 10 elements"},
		{[]int{-1, 0}, "row 0 of B at offset -1"},
	} {
		func() {
			defer func() {
				msg := fmt.Sprint(recover())
				if !strings.Contains(msg, tc.want) {
					t.Errorf("off %v: panic %q, want it to say %q", tc.off, msg, tc.want)
				}
			}()
			SgemmRows(false, false, 1, 4, 2, 1, make([]float32, 2), 2, b, tc.off, 0, c, 4)
		}()
	}
}
