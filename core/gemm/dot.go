package gemm

// The dot path: SgemmRows with tB and op(A) = A, C = alpha·A·Rᵀ + beta·C,
// where the rows of A and of R both run along k. That is a convolution's
// filter gradient, dW = dY·COLᵀ, with k the positions of a whole batch
// (10⁵ here) and m, n the filter's rows and columns (16 to 1152). The
// blocked engine would pack Rᵀ, a transpose of all of COL that costs as
// much as the multiply; here a kernel reads dotMR rows of A and dotNR of R
// where they lie (4 and 3 for AVX2, 4 and 6 for AVX-512) and keeps their
// dot products in eight lanes each, and the lanes are summed once at the
// end.
//
// Order of the sums, fixed by the call alone: lane l of an element sums
// the products of index l mod 8 in increasing order, the lanes are added
// pairwise ((0+1)+(2+3))+((4+5)+(6+7)), then the k mod 8 last products one
// by one; then C = alpha·sum + beta·C. One goroutine computes each element.
//
// The tile's shape changes none of this, so impls whose dot kernels differ
// only in their tiles give the same bits.
//
// Over a batch (SgemmRowsSum), k runs over the segments one after
// another, as over one row of them laid end to end: with a segment's
// length a multiple of 8 that is the same order, so the same bits; else
// each segment's last products, k mod 8 of them, come after the lanes,
// segment by segment.
//
// dotKC is the slice of k per kernel call: 4 rows of A, 4 KiB each, stay
// in L1 while the chunk's rows of R stream past them from L2.
const dotKC = 1024

// dotTile is the floats of lanes of one of im's dot tiles.
func (im *impl) dotTile() int { return im.dotMR * im.dotNR * 8 }

// dotMaxN bounds the columns of C (R's rows) on the dot path. Each element
// costs the path eight lanes, kept in memory between kernel calls and
// summed at the end, and with thousands of columns (a filter gradient of
// 256 or more input channels, C·KH·KW ≥ 2304) that costs more than
// packing Rᵀ for the blocked kernel saves: full-width ResNet-18's
// BackwardFilter, one thread, dot path against blocked, at 3×3 stride 1
// and batch 16 or 128: 512 channels at 7×7 1.65× and 1.23× as long, 256
// at 14×14 1.2× and 1.15×; 128 at 28×28 0.90× and 0.90×, 64 at 56×56
// 0.73× (dot faster). The bound is on n alone, so a pair of filter
// gradients (twice the rows) runs as each alone does, and on the shape
// alone, so every ISA takes the same path.
const dotMaxN = 2048

// dotCall reports whether cl runs on the dot path.
func (cl *call) dotCall() bool {
	return cl.off != nil && cl.tB && !cl.tA && cl.im.dotKernel != nil && cl.n < dotMaxN
}

// dotBlock computes C[i0:i1, j0:j1] of a dot call.
func (cl *call) dotBlock(bf *buffers, i0, i1, j0, j1 int) {
	im := cl.im
	dotMR, dotNR, dotTile := im.dotMR, im.dotNR, im.dotTile()
	ti, tj := (i1-i0+dotMR-1)/dotMR, (j1-j0+dotNR-1)/dotNR
	if n := ti * tj * dotTile; len(bf.lanes) < n {
		bf.lanes = make([]float32, n)
	}
	lanes := bf.lanes[:ti*tj*dotTile]
	clear(lanes)
	k8 := cl.k &^ 7
	aoff, boff := bf.aoff[:dotMR], bf.boff[:dotNR]
	for seg := range max(cl.segs, 1) {
		sa, sb := seg*cl.segA, seg*cl.segB
		for pc := 0; pc < k8; pc += dotKC {
			kb := min(dotKC, k8-pc)
			for t := 0; t < ti; t++ {
				i := i0 + t*dotMR
				for r := range aoff {
					// Rows past the block repeat its last; their sums
					// are dropped.
					aoff[r] = min(i+r, i1-1)*cl.lda + sa + pc
				}
				for u := 0; u < tj; u++ {
					j := j0 + u*dotNR
					for s := range boff {
						boff[s] = cl.off[min(j+s, j1-1)] + sb + pc
					}
					im.dotKernel(kb, cl.a, aoff, cl.b, boff, lanes[(t*tj+u)*dotTile:])
				}
			}
		}
	}
	for t := 0; t < ti; t++ {
		for u := 0; u < tj; u++ {
			tile := lanes[(t*tj+u)*dotTile:]
			for r := 0; r < min(dotMR, i1-i0-t*dotMR); r++ {
				i := i0 + t*dotMR + r
				for s := 0; s < min(dotNR, j1-j0-u*dotNR); s++ {
					j := j0 + u*dotNR + s
					l := tile[(r*dotNR+s)*8 : (r*dotNR+s+1)*8]
					sum := ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
					for seg := range max(cl.segs, 1) {
						ra, rb := i*cl.lda+seg*cl.segA, cl.off[j]+seg*cl.segB
						ar, br := cl.a[ra+k8:ra+cl.k], cl.b[rb+k8:rb+cl.k]
						for p, v := range ar {
							sum += v * br[p]
						}
					}
					c := &cl.c[i*cl.ldc+j]
					if cl.beta == 0 {
						*c = cl.alpha * sum
					} else {
						*c = cl.alpha*sum + cl.beta**c
					}
				}
			}
		}
	}
}
