package gemm

// packA copies rows [i0, i0+mb) and columns [p0, p0+kb) of op(A), times
// alpha, into dst as mr-row panels: panel q holds rows i0+q·mr… with
// dst[q·mr·kb + p·mr + i] = alpha·op(A)[i0+q·mr+i][p0+p]. A last panel with
// fewer than mr rows is padded with zeros. It returns the packed length.
func packA(dst []float32, tA bool, a []float32, lda, i0, mb, p0, kb, mr int, alpha float32) int {
	panels := (mb + mr - 1) / mr
	size := panels * mr * kb
	dst = dst[:size]
	for q := 0; q < panels; q++ {
		d := dst[q*mr*kb : (q+1)*mr*kb]
		i := i0 + q*mr
		rows := min(mr, i0+mb-i)
		if rows < mr {
			clear(d)
		}
		if tA {
			// op(A)[i][p] = a[p*lda+i]: rows of A are contiguous in i.
			for p := 0; p < kb; p++ {
				src := a[(p0+p)*lda+i : (p0+p)*lda+i+rows]
				dp := d[p*mr : p*mr+rows]
				if alpha == 1 {
					copy(dp, src)
					continue
				}
				for ii, v := range src {
					dp[ii] = alpha * v
				}
			}
			continue
		}
		switch {
		case rows == 4 && mr == 4:
			pack4(d, a, i*lda+p0, lda, kb, alpha)
			continue
		case rows == 6 && mr == 6:
			pack6(d, a, i*lda+p0, lda, kb, alpha)
			continue
		case rows == 8 && mr == 8:
			pack8(d, a, i*lda+p0, lda, kb, alpha)
			continue
		}
		for ii := 0; ii < rows; ii++ {
			src := a[(i+ii)*lda+p0 : (i+ii)*lda+p0+kb]
			for p, v := range src {
				d[p*mr+ii] = alpha * v
			}
		}
	}
	return size
}

// pack6 interleaves six rows of A (starting at a[off], stride lda, kb long)
// into d, six values per column.
func pack6(d, a []float32, off, lda, kb int, alpha float32) {
	r0 := a[off : off+kb]
	r1 := a[off+lda : off+lda+kb]
	r2 := a[off+2*lda : off+2*lda+kb]
	r3 := a[off+3*lda : off+3*lda+kb]
	r4 := a[off+4*lda : off+4*lda+kb]
	r5 := a[off+5*lda : off+5*lda+kb]
	d = d[:6*kb]
	for p := range r0 {
		dp := d[6*p : 6*p+6 : 6*p+6]
		dp[0] = alpha * r0[p]
		dp[1] = alpha * r1[p]
		dp[2] = alpha * r2[p]
		dp[3] = alpha * r3[p]
		dp[4] = alpha * r4[p]
		dp[5] = alpha * r5[p]
	}
}

// pack4 is pack6 for four rows.
func pack4(d, a []float32, off, lda, kb int, alpha float32) {
	r0 := a[off : off+kb]
	r1 := a[off+lda : off+lda+kb]
	r2 := a[off+2*lda : off+2*lda+kb]
	r3 := a[off+3*lda : off+3*lda+kb]
	d = d[:4*kb]
	for p := range r0 {
		dp := d[4*p : 4*p+4 : 4*p+4]
		dp[0] = alpha * r0[p]
		dp[1] = alpha * r1[p]
		dp[2] = alpha * r2[p]
		dp[3] = alpha * r3[p]
	}
}

// pack8 is pack6 for eight rows.
func pack8(d, a []float32, off, lda, kb int, alpha float32) {
	r0 := a[off : off+kb]
	r1 := a[off+lda : off+lda+kb]
	r2 := a[off+2*lda : off+2*lda+kb]
	r3 := a[off+3*lda : off+3*lda+kb]
	r4 := a[off+4*lda : off+4*lda+kb]
	r5 := a[off+5*lda : off+5*lda+kb]
	r6 := a[off+6*lda : off+6*lda+kb]
	r7 := a[off+7*lda : off+7*lda+kb]
	d = d[:8*kb]
	for p := range r0 {
		dp := d[8*p : 8*p+8 : 8*p+8]
		dp[0] = alpha * r0[p]
		dp[1] = alpha * r1[p]
		dp[2] = alpha * r2[p]
		dp[3] = alpha * r3[p]
		dp[4] = alpha * r4[p]
		dp[5] = alpha * r5[p]
		dp[6] = alpha * r6[p]
		dp[7] = alpha * r7[p]
	}
}

// packB copies rows [p0, p0+kb) and columns [j0, j0+nb) of op(B) into dst
// as nr-column panels: dst[q·nr·kb + p·nr + j] = op(B)[p0+p][j0+q·nr+j]. A
// last panel with fewer than nr columns is padded with zeros. It returns the
// packed length.
func packB(dst []float32, tB bool, b []float32, ldb, p0, kb, j0, nb, nr int) int {
	panels := (nb + nr - 1) / nr
	size := panels * nr * kb
	dst = dst[:size]
	for q := 0; q < panels; q++ {
		d := dst[q*nr*kb : (q+1)*nr*kb]
		j := j0 + q*nr
		cols := min(nr, j0+nb-j)
		if cols < nr {
			clear(d)
		}
		if tB {
			// op(B)[p][j] = b[j*ldb+p]: columns of op(B) are contiguous in p.
			for jj := 0; jj < cols; jj++ {
				src := b[(j+jj)*ldb+p0 : (j+jj)*ldb+p0+kb]
				for p, v := range src {
					d[p*nr+jj] = v
				}
			}
			continue
		}
		if cols == nr {
			packRows(d, b, p0*ldb+j, ldb, kb, nr)
			continue
		}
		for p := 0; p < kb; p++ {
			copy(d[p*nr:p*nr+cols], b[(p0+p)*ldb+j:(p0+p)*ldb+j+cols])
		}
	}
	return size
}

// packRows copies kb rows of nr floats, from b[off:] with stride ldb, to
// consecutive rows of d. Fixed-size array copies compile to inline vector
// moves, where copy() would call memmove for each short row.
func packRows(d, b []float32, off, ldb, kb, nr int) {
	switch nr {
	case 8:
		for p := 0; p < kb; p++ {
			*(*[8]float32)(d[p*8:]) = *(*[8]float32)(b[off+p*ldb:])
		}
	case 16:
		for p := 0; p < kb; p++ {
			*(*[16]float32)(d[p*16:]) = *(*[16]float32)(b[off+p*ldb:])
		}
	case 24:
		for p := 0; p < kb; p++ {
			*(*[24]float32)(d[p*24:]) = *(*[24]float32)(b[off+p*ldb:])
		}
	default:
		for p := 0; p < kb; p++ {
			copy(d[p*nr:p*nr+nr], b[off+p*ldb:off+p*ldb+nr])
		}
	}
}
