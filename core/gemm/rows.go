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
// engine computes them in place too (dot.go), in an order of its own, for
// R of fewer than dotMaxN rows; elsewhere the panels are packed as Sgemm
// packs them.
func SgemmRows(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, off []int, beta float32, c []float32, ldc int) {
	sgemmRows(best, tA, tB, m, n, k, alpha, a, lda, b, off, beta, c, ldc)
}

func sgemmRows(im *impl, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, off []int, beta float32, c []float32, ldc int) {
	checkAC(tA, m, n, k, a, lda, c, ldc)
	checkOffsets(tB, n, k, b, off)
	start(&call{im: im, tA: tA, tB: tB, m: m, n: n, k: k,
		alpha: alpha, a: a, lda: lda, b: b, off: off, beta: beta, c: c, ldc: ldc})
}

// checkOffsets panics unless off places every row of SgemmRows's R
// inside b: k rows of n, or with tB n rows of k.
func checkOffsets(tB bool, n, k int, b []float32, off []int) {
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
}

// SgemmRowsSum is SgemmRows with tB summed over a batch: for i < count,
//
//	C = alpha·Σ_i A_i·R_iᵀ + beta·C,   A_i = a[i·strideA:] (m rows of k, lda apart),
//	                                   R_i[r][t] = b[i·strideB + off[r] + t] (n rows of k)
//
// as a pointwise convolution's filter gradient over an NCHW batch is,
// dW = Σ_i dY_i·X_iᵀ, with no copy of the images into one matrix. On the
// dot path (an impl with a dot kernel), with k a multiple of 8, each
// element is bit for bit what SgemmRows gives on the A_i and R_i laid end
// to end (one row of count·k each); see dot.go for the order otherwise.
// Off the dot path (no dot kernel, or n ≥ dotMaxN) the products are
// added to C one after another.
// Either way one goroutine computes each element, in one order.
func SgemmRowsSum(m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, off []int, strideB int, beta float32, c []float32, ldc, count int) {
	switch {
	case count < 1:
		panic(fmt.Sprintf("gemm: SgemmRowsSum over %d products", count))
	case strideA < 0 || strideB < 0:
		panic(fmt.Sprintf("gemm: negative batch stride (A %d, B %d)", strideA, strideB))
	case (count-1)*strideA > len(a) || (count-1)*strideB > len(b):
		panic(fmt.Sprintf("gemm: %d products at strides %d and %d overrun A's %d or B's %d elements", count, strideA, strideB, len(a), len(b)))
	}
	last := count - 1
	// Checking the last product's operands checks every one's.
	checkAC(false, m, n, k, a[last*strideA:], lda, c, ldc)
	checkOffsets(true, n, k, b[last*strideB:], off)
	cl := call{im: best, tB: true, m: m, n: n, k: k,
		alpha: alpha, a: a, lda: lda, b: b, off: off, beta: beta, c: c, ldc: ldc,
		segs: count, segA: strideA, segB: strideB}
	if !cl.dotCall() {
		for i := range count {
			sgemmRows(best, false, true, m, n, k, alpha, a[i*strideA:], lda, b[i*strideB:], off, beta, c, ldc)
			beta = 1
		}
		return
	}
	start(&cl)
}

// packRows is packB for SgemmRows's B, rows [p0, p0+len(off)) (off is
// theirs) and columns [j0, j0+nb), from column `from` on (a multiple of nr):
// panels before it are left as they are.
func packRows(dst, b []float32, off []int, j0, from, nb, nr int) {
	kb := len(off)
	full := nb / nr
	rem := nb - full*nr
	skip := from / nr
	if full <= skip && rem == 0 {
		return // the rows kernel reads every panel in place
	}
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
