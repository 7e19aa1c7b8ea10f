package gemm

// kernelGeneric is the meaning of every micro-kernel. a holds an mr-row panel
// of op(A) packed column by column (a[p*mr+i] = op(A)[i][p], alpha folded
// in), b a kc×nr panel of op(B) packed row by row (b[p*nr+j] = op(B)[p][j]).
// It sums over p in increasing order and then updates C:
//
//	for i := 0; i < mr; i++ {
//		for j := 0; j < nr; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += a[p*mr+i] * b[p*nr+j]
//			}
//			if beta == 0 {
//				c[i*ldc+j] = s // NaN in C does not survive
//			} else {
//				c[i*ldc+j] = s + beta*c[i*ldc+j]
//			}
//		}
//	}
func kernelGeneric(mr, nr, k int, a, b, c []float32, ldc int, beta float32) {
	var acc [maxTile]float32
	for p := 0; p < k; p++ {
		ap := a[p*mr : p*mr+mr]
		bp := b[p*nr : p*nr+nr]
		for i, av := range ap {
			row := acc[i*nr : i*nr+nr]
			for j, bv := range bp {
				row[j] += av * bv
			}
		}
	}
	storeTile(mr, nr, acc[:mr*nr], nr, c, ldc, beta)
}

// kernelRowsGeneric is the meaning of every rows kernel: kernelGeneric on
// the panel whose row p is b[off[p] : off[p]+nr], read where it lies
// rather than packed.
func kernelRowsGeneric(mr, nr, k int, a, b []float32, off []int, c []float32, ldc int, beta float32) {
	panel := make([]float32, k*nr)
	for p, o := range off[:k] {
		copy(panel[p*nr:(p+1)*nr], b[o:o+nr])
	}
	kernelGeneric(mr, nr, k, a, panel, c, ldc, beta)
}

// dotGeneric is the meaning of every dot kernel: for the mr rows of A and
// nr rows of R that start at a[aoff[i]] and b[boff[j]], it adds to lane l
// of acc[(i·nr+j)·8 : +8] the products of k (a multiple of 8) whose index
// is l mod 8, in increasing order.
func dotGeneric(mr, nr, k int, a []float32, aoff []int, b []float32, boff []int, acc []float32) {
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			ar, br := a[aoff[i]:aoff[i]+k], b[boff[j]:boff[j]+k]
			lanes := acc[(i*nr+j)*8 : (i*nr+j+1)*8]
			for p := 0; p < k; p += 8 {
				for l := range lanes {
					lanes[l] += ar[p+l] * br[p+l]
				}
			}
		}
	}
}

// storeTile writes the rows×cols tile t (stride ldt) into C: c = t + beta·c,
// or c = t when beta is 0.
func storeTile(rows, cols int, t []float32, ldt int, c []float32, ldc int, beta float32) {
	for i := 0; i < rows; i++ {
		tr := t[i*ldt : i*ldt+cols]
		cr := c[i*ldc : i*ldc+cols]
		if beta == 0 {
			copy(cr, tr)
			continue
		}
		for j, v := range tr {
			cr[j] = v + beta*cr[j]
		}
	}
}

// kernel4x4 is kernelGeneric for mr = nr = 4, with the sixteen sums held in
// locals so the compiler keeps them in registers.
func kernel4x4(k int, a, b, c []float32, ldc int, beta float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	a, b = a[:4*k], b[:4*k]
	for p := 0; p+4 <= len(a); p += 4 {
		ap, bp := a[p:p+4:p+4], b[p:p+4:p+4]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	t := [16]float32{c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33}
	storeTile(4, 4, t[:], 4, c, ldc, beta)
}
