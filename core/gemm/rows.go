package gemm

import "fmt"

// SgemmRows is Sgemm with B given by where its rows start in one slice
// rather than stored with a stride, and not transposed:
//
//	C = alpha·op(A)·B + beta·C,   B[p][j] = b[off[p] + j]
//
// Rows may overlap. That is the shape of a stride-1 convolution's im2col
// matrix over a zero-padded image: each of its rows is the image shifted
// (see core/conv), so the whole matrix is one image and a table of shifts.
// The AVX2 engine reads B's panels in place, which saves the packing that
// costs a convolution about as much as its multiply; other engines pack
// them. Each element of C sums its products in the same order as Sgemm on
// the stored B, so the two agree bit for bit.
func SgemmRows(tA bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, off []int, beta float32, c []float32, ldc int) {
	sgemmRows(best, tA, m, n, k, alpha, a, lda, b, off, beta, c, ldc)
}

func sgemmRows(im *impl, tA bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, off []int, beta float32, c []float32, ldc int) {
	checkAC(tA, m, n, k, a, lda, c, ldc)
	if len(off) < k {
		panic(fmt.Sprintf("gemm: %d row offsets for k=%d rows of B", len(off), k))
	}
	if n > 0 {
		for p, o := range off[:k] {
			if o < 0 || o+n > len(b) {
				panic(fmt.Sprintf("gemm: row %d of B at offset %d: %d columns overrun its %d elements", p, o, n, len(b)))
			}
		}
	}
	start(&call{im: im, tA: tA, m: m, n: n, k: k,
		alpha: alpha, a: a, lda: lda, b: b, off: off, beta: beta, c: c, ldc: ldc})
}

// packRows is packB for SgemmRows's B, rows [p0, p0+len(off)) (off is
// theirs) and columns [j0, j0+nb), from column `from` on (a multiple of nr):
// panels before it are left as they are.
func packRows(dst, b []float32, off []int, j0, from, nb, nr int) {
	kb := len(off)
	full := nb / nr
	rem := nb - full*nr
	skip := from / nr
	for p, o := range off {
		if full > skip {
			dealRow(dst[skip*nr*kb+p*nr:], b[o+j0+from:], full-skip, nr, nr, nr*kb)
		}
		if rem > 0 {
			d := dst[full*nr*kb+p*nr : full*nr*kb+(p+1)*nr]
			copy(d, b[o+j0+full*nr:o+j0+nb])
			clear(d[rem:])
		}
	}
}
