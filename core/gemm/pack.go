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
		if tA && rows == mr && alpha == 1 {
			// op(A)[i][p] = a[p*lda+i]: rows of A are contiguous in i.
			dealRow(d, a[p0*lda+i:], kb, mr, lda, mr)
			continue
		}
		if tA {
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

// pack4 is pack6 for four rows, as pack8.
func pack4(d, a []float32, off, lda, kb int, alpha float32) {
	if done := packBlocks(4, d, a[off:off+3*lda+kb], lda, kb, alpha); done > 0 {
		d, off, kb = d[4*done:], off+done, kb-done
	}
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

// pack8 is pack6 for eight rows: whole blocks of eight columns by
// packBlocks where the CPU has a kernel for it, the rest here.
func pack8(d, a []float32, off, lda, kb int, alpha float32) {
	if done := packBlocks(8, d, a[off:off+7*lda+kb], lda, kb, alpha); done > 0 {
		d, off, kb = d[8*done:], off+done, kb-done
	}
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
	full := nb / nr // panels with nr columns
	rem := nb - full*nr
	size := (full + min(rem, 1)) * nr * kb
	dst = dst[:size]
	if rem > 0 {
		clear(dst[full*nr*kb:])
	}
	if !tB {
		// Walk B by rows, so reads stream through memory (B is often too
		// big for the caches, with rows far apart), and deal each row out to
		// the panels.
		p := 0
		switch nr { // four rows at a time: four streams in flight from memory
		case 24:
			for ; p+4 <= kb; p += 4 {
				deal4x24(dst[p*24:], b, (p0+p)*ldb+j0, ldb, full, 24*kb)
			}
		case 32:
			for ; p+4 <= kb; p += 4 {
				deal4x32(dst[p*32:], b, (p0+p)*ldb+j0, ldb, full, 32*kb)
			}
		}
		for ; p < kb; p++ {
			dealRow(dst[p*nr:], b[(p0+p)*ldb+j0:], full, nr, nr, nr*kb)
		}
		if rem > 0 {
			for p := 0; p < kb; p++ {
				off := (p0+p)*ldb + j0 + full*nr
				copy(dst[full*nr*kb+p*nr:full*nr*kb+p*nr+rem], b[off:off+rem])
			}
		}
		return size
	}
	// op(B)[p][j] = b[j*ldb+p]: columns of op(B) are contiguous in p. Take
	// four at a time, to write four adjacent floats per p.
	for j := 0; j < nb; {
		q, jj := j/nr, j%nr
		d := dst[q*nr*kb+jj : (q+1)*nr*kb]
		off := (j0+j)*ldb + p0
		if jj+4 <= nr && j+4 <= nb {
			interleave4(d, b, off, ldb, kb, nr)
			j += 4
			continue
		}
		for p, v := range b[off : off+kb] {
			d[p*nr] = v
		}
		j++
	}
	return size
}

// interleave4 stores four rows of b (starting at b[off], stride ldb, kb
// long) as the columns of d, a kb×4 matrix with stride ld.
func interleave4(d, b []float32, off, ldb, kb, ld int) {
	interleave4Rows(d, b[off:off+kb], b[off+ldb:off+ldb+kb], b[off+2*ldb:off+2*ldb+kb], b[off+3*ldb:off+3*ldb+kb], ld)
}

// interleave4Rows stores the equally long r0…r3 as the columns of d, a
// len(r0)×4 matrix with stride ld.
func interleave4Rows(d, r0, r1, r2, r3 []float32, ld int) {
	r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
	for p := range r0 {
		dp := d[p*ld : p*ld+4 : p*ld+4]
		dp[0], dp[1], dp[2], dp[3] = r0[p], r1[p], r2[p], r3[p]
	}
}

// deal4x24 is dealRow for four rows of b (from b[off], stride ldb) and
// nr = 24: chunk q of row r goes to d[q·stride + 24·r].
func deal4x24(d, b []float32, off, ldb, full, stride int) {
	r0 := b[off : off+full*24]
	r1 := b[off+ldb : off+ldb+full*24]
	r2 := b[off+2*ldb : off+2*ldb+full*24]
	r3 := b[off+3*ldb : off+3*ldb+full*24]
	for q := 0; q < full; q++ {
		t := d[q*stride : q*stride+96]
		v0 := *(*[24]float32)(r0[q*24:])
		v1 := *(*[24]float32)(r1[q*24:])
		v2 := *(*[24]float32)(r2[q*24:])
		v3 := *(*[24]float32)(r3[q*24:])
		*(*[24]float32)(t[0:]) = v0
		*(*[24]float32)(t[24:]) = v1
		*(*[24]float32)(t[48:]) = v2
		*(*[24]float32)(t[72:]) = v3
	}
}

// deal4x32 is deal4x24 for nr = 32 (AVX-512's panels).
func deal4x32(d, b []float32, off, ldb, full, stride int) {
	r0 := b[off : off+full*32]
	r1 := b[off+ldb : off+ldb+full*32]
	r2 := b[off+2*ldb : off+2*ldb+full*32]
	r3 := b[off+3*ldb : off+3*ldb+full*32]
	for q := 0; q < full; q++ {
		t := d[q*stride : q*stride+128]
		v0 := *(*[32]float32)(r0[q*32:])
		v1 := *(*[32]float32)(r1[q*32:])
		v2 := *(*[32]float32)(r2[q*32:])
		v3 := *(*[32]float32)(r3[q*32:])
		*(*[32]float32)(t[0:]) = v0
		*(*[32]float32)(t[32:]) = v1
		*(*[32]float32)(t[64:]) = v2
		*(*[32]float32)(t[96:]) = v3
	}
}

// dealRow copies full chunks of nr floats, chunk q from src[q·sstride:] to
// d[q·stride:]. Copying a fixed-size array through a local compiles to
// inline vector moves, where copy() or a direct array assignment (which
// must allow for overlap) calls memmove for each short chunk.
func dealRow(d, src []float32, full, nr, sstride, stride int) {
	switch nr {
	case 32:
		for q := 0; q < full; q++ {
			v := *(*[32]float32)(src[q*sstride:])
			*(*[32]float32)(d[q*stride:]) = v
		}
	case 24:
		for q := 0; q < full; q++ {
			v := *(*[24]float32)(src[q*sstride:])
			*(*[24]float32)(d[q*stride:]) = v
		}
	case 8:
		for q := 0; q < full; q++ {
			v := *(*[8]float32)(src[q*sstride:])
			*(*[8]float32)(d[q*stride:]) = v
		}
	case 4:
		for q := 0; q < full; q++ {
			v := *(*[4]float32)(src[q*sstride:])
			*(*[4]float32)(d[q*stride:]) = v
		}
	default:
		for q := 0; q < full; q++ {
			copy(d[q*stride:q*stride+nr], src[q*sstride:q*sstride+nr])
		}
	}
}
