package gemm

import "fmt"

// SgemmRows is Sgemm with B given by where the rows of a matrix R start
// in one slice, rather than stored with a stride:
//
//	C = alpha·op(A)·op(R) + beta·C,   R[r][t] = b[off[r] + t]
//
// op(R) is R (k rows of n, off has k entries) or, with tB, Rᵀ (R has n rows
// of k). Rows may overlap. That is the shape of a convolution's im2col
// matrix over a zero-padded image: each of its rows is the image shifted
// (see core/conv), so the whole matrix is one image and a table of shifts.
//
// Without tB, the AVX2 engine reads B's panels in place, which saves the
// packing that costs a convolution about as much as its multiply, and
// each element of C sums its products in the same order as Sgemm on the
// stored B, so the two agree bit for bit. With tB and op(A) = A, C = A·Rᵀ
// is a table of dot products of rows, all running along k: the AVX2
// engine computes them in place too (dot.go), in an order of its own;
// elsewhere the panels are packed as Sgemm packs them.
func SgemmRows(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, off []int, beta float32, c []float32, ldc int) {
	sgemmRows(best, tA, tB, m, n, k, alpha, a, lda, b, off, beta, c, ldc)
}

func sgemmRows(im *impl, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, off []int, beta float32, c []float32, ldc int) {
	checkAC(tA, m, n, k, a, lda, c, ldc)
	rows, cols := k, n
	if tB {
		rows, cols = n, k
	}
	if len(off) < rows {
		panic(fmt.Sprintf("gemm: %d row offsets for %d rows of B", len(off), rows))
	}
	if cols > 0 {
		for r, o := range off[:rows] {
			if o < 0 || o+cols > len(b) {
				panic(fmt.Sprintf("gemm: row %d of B at offset %d: %d columns overrun its %d elements", r, o, cols, len(b)))
			}
		}
	}
	start(&call{im: im, tA: tA, tB: tB, m: m, n: n, k: k,
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

// packRowsT is packB for SgemmRows's Rᵀ: rows [p0, p0+kb) and the columns
// whose rows of R start at off (one panel column each), four at a time.
func packRowsT(dst, b []float32, off []int, p0, kb, nr int) {
	nb := len(off)
	if rem := nb % nr; rem > 0 {
		clear(dst[nb/nr*nr*kb : (nb/nr+1)*nr*kb])
	}
	for j := 0; j < nb; {
		q, jj := j/nr, j%nr
		d := dst[q*nr*kb+jj : (q+1)*nr*kb]
		if jj+4 <= nr && j+4 <= nb {
			o := off[j : j+4 : j+4]
			interleave4Rows(d, b[o[0]+p0:o[0]+p0+kb], b[o[1]+p0:o[1]+p0+kb], b[o[2]+p0:o[2]+p0+kb], b[o[3]+p0:o[3]+p0+kb], nr)
			j += 4
			continue
		}
		for p, v := range b[off[j]+p0 : off[j]+p0+kb] {
			d[p*nr] = v
		}
		j++
	}
}
