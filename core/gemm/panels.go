package gemm

// Panels is a k×n matrix B that packs itself, for operands cheaper to
// generate than to store and read back: a convolution's im2col matrix,
// whose entries are read straight from the image ("implicit GEMM"), is
// nine times the image for a 3×3 filter.
type Panels interface {
	// Pack writes rows [p0, p0+kb) and columns [j0, j0+nb) of B into dst
	// as nr-column panels, as PanelRow and PanelColumns lay them out:
	//
	//	dst[q·nr·kb + p·nr + j] = B[p0+p][j0+q·nr+j]
	//
	// with the columns of the last panel past nb zero. tmp is scratch of
	// at least 4·max(kb, nb) floats, private to the call. The engine calls
	// Pack from several goroutines at once, for different or equal blocks.
	Pack(dst, tmp []float32, nr, p0, kb, j0, nb int)
}

// SgemmPanels is Sgemm with B given as Panels rather than stored, and not
// transposed: C = alpha·op(A)·B + beta·C. Each element of C sums its
// products in the same order as Sgemm on the stored B.
func SgemmPanels(tA bool, m, n, k int, alpha float32, a []float32, lda int, b Panels, beta float32, c []float32, ldc int) {
	sgemmPanels(best, tA, m, n, k, alpha, a, lda, b, beta, c, ldc)
}

func sgemmPanels(im *impl, tA bool, m, n, k int, alpha float32, a []float32, lda int, b Panels, beta float32, c []float32, ldc int) {
	checkAC(tA, m, n, k, a, lda, c, ldc)
	start(&call{im: im, tA: tA, m: m, n: n, k: k,
		alpha: alpha, a: a, lda: lda, panels: b, beta: beta, c: c, ldc: ldc})
}

// PanelRow stores row p of a kb-row block of B, whose nb entries are in
// row, into the packed panels dst (see Panels.Pack), zero past nb in the
// last panel.
func PanelRow(dst, row []float32, p, kb, nr int) {
	full := len(row) / nr
	dealRow(dst[p*nr:], row, full, nr, nr, nr*kb)
	if rem := len(row) - full*nr; rem > 0 {
		d := dst[full*nr*kb+p*nr : full*nr*kb+(p+1)*nr]
		copy(d, row[full*nr:])
		clear(d[rem:])
	}
}

// PanelColumns stores four adjacent columns j, j+1, j+2, j+3 of a kb-row
// block of B, held in cols as four kb-long runs one after another, into
// the packed panels dst (see Panels.Pack). j must be a multiple of 4 and
// nr of 4, so the four share a panel.
func PanelColumns(dst, cols []float32, j, kb, nr int) {
	q, jj := j/nr, j%nr
	interleave4(dst[q*nr*kb+jj:], cols, 0, kb, kb, nr)
}

// PanelColumn stores column j of a kb-row block of B, held in col, into
// the packed panels dst (see Panels.Pack).
func PanelColumn(dst, col []float32, j, kb, nr int) {
	q, jj := j/nr, j%nr
	d := dst[q*nr*kb+jj:]
	for p, v := range col[:kb] {
		d[p*nr] = v
	}
}
