package gemm

// A call holds one Sgemm's arguments while goroutines share its work.
type call struct {
	im            *impl
	tA, tB        bool
	m, n, k       int
	alpha, beta   float32
	a, b, c       []float32
	panels        Panels // B when it packs itself (b is then nil)
	off           []int  // SgemmRows: op(B) is R or Rᵀ, R[r][t] = b[off[r]+t]
	lda, ldb, ldc int
	splitN        bool // workers take column ranges of C, else row ranges
	// The dot path over a batch (SgemmRowsSum): k runs over segs
	// segments, segment s of A's rows segA and of R's rows segB further
	// on. segs is 0 for a plain call.
	segs, segA, segB int
	chunk, nchunks   int // size of each range (a multiple of mr or nr), count
}

// buffers are one goroutine's packed blocks of A and panels of B, and the
// tile that edge micro-tiles go through (here, not on the stack, since the
// kernel is called through a func value and so its arguments escape).
type buffers struct {
	a, b, tmp []float32 // tmp: Panels.Pack's scratch
	tile      [maxTile]float32
	// The dot path's lanes, a tile's rows of A and of R.
	lanes []float32
	aoff  [maxDotRows]int
	boff  [maxDotRows]int
	rows  []int // a stored B's row offsets, when it is read in place (inPlaceB)
	// panelRows are the offsets of a packed B panel's rows, p·panelNR,
	// through which an in-place-A rows kernel reads an edge tile's panel.
	panelRows []int
	panelNR   int
}

// A stored, untransposed B is read in place by the rows kernel rather
// than packed (inPlaceB) when its k is at most maxInPlaceK, or when the
// goroutine's rows of C are at most maxInPlaceRows, so that a packed panel
// would serve few blocks of A. Each of B's k rows is then a stream of its
// own. BenchmarkSgemm, one thread, on an Intel Xeon (k bound alone): in
// place +22 % at 64³, +7 % at 128³, +17 % at 16×12544×144, +39 % at
// 16×32768×27. On an AMD EPYC (Zen 5), k > 256 (4 interleaved rounds, one
// thread / two): in place +20 % / +28 % at 64×25088×576, +11 % / +12 % at
// 128×1568×1152, 512³ unchanged, 1024³ and 2048³ −35 % GFLOP/s (their packed
// panels serve 9 and 18 blocks of A). The Intel machine had measured
// 64×25088×576 faster packed.
const (
	maxInPlaceK    = 256
	maxInPlaceRows = 256
)

// inPlaceB returns the row offsets through which the rows kernel reads a
// stored, untransposed B where it lies (row p at p·ldb), or nil: for
// SgemmRows's own, for tB, for k > maxInPlaceK on more than maxInPlaceRows
// rows of C, for an impl without a rows kernel. The rows kernel sums as
// the packed kernel does, so the results are the same bits.
func (cl *call) inPlaceB(bf *buffers, rows int) []int {
	switch {
	case cl.off != nil:
		return cl.off
	case cl.panels != nil || cl.tB || cl.im.rowsKernel == nil,
		cl.k > maxInPlaceK && rows > maxInPlaceRows:
		return nil
	}
	if cap(bf.rows) < cl.k {
		bf.rows = make([]int, max(cl.k, maxInPlaceK))
	}
	bf.rows = bf.rows[:cl.k]
	for p := range bf.rows {
		bf.rows[p] = p * cl.ldb
	}
	return bf.rows
}

func (bf *buffers) grow(im *impl) {
	if na := (im.mc + im.mr) * im.kc; len(bf.a) < na {
		bf.a = make([]float32, na)
	}
	if nb := (im.nc + im.nr) * im.kc; len(bf.b) < nb {
		bf.b = make([]float32, nb)
	}
	if nt := 4 * max(im.kc, im.nc+im.nr); len(bf.tmp) < nt {
		bf.tmp = make([]float32, nt)
	}
}

// do computes chunk q of the call: rows or columns [q·chunk, (q+1)·chunk) of C.
func (cl *call) do(bf *buffers, q int) {
	i0, i1, j0, j1 := 0, cl.m, 0, cl.n
	if cl.splitN {
		j0, j1 = q*cl.chunk, min((q+1)*cl.chunk, cl.n)
	} else {
		i0, i1 = q*cl.chunk, min((q+1)*cl.chunk, cl.m)
	}
	switch {
	case i0 >= i1 || j0 >= j1:
	case cl.dotCall():
		cl.dotBlock(bf, i0, i1, j0, j1)
	default:
		cl.block(bf, i0, i1, j0, j1)
	}
}

// block computes C[i0:i1, j0:j1] in the BLIS loop order: for each nc-wide
// panel of B and each kc-deep slice of k (in increasing order, so each C
// element always sums in the same order), pack the B panel, then for each
// mc-tall block of A pack it and sweep micro-tiles over the block.
func (cl *call) block(bf *buffers, i0, i1, j0, j1 int) {
	im := cl.im
	bf.grow(im)
	mr, nr, kc := im.mr, im.nr, im.kc
	c, ldc := cl.c, cl.ldc
	tile := bf.tile[:]
	rowOff := cl.inPlaceB(bf, i1-i0) // B's rows as the rows kernel reads them; nil: packed
	// One panel of B when it is at most nc wide, so A is packed once;
	// otherwise panels of nc/2, small enough to stay in L2 while B streams
	// from memory (as in conv layers, where n is H·W). Panel widths change
	// only which tiles run when, not how any element is summed.
	nc := im.nc
	if j1-j0 > nc {
		nc /= 2
	}
	for jc := j0; jc < j1; jc += nc {
		nb := min(nc, j1-jc)
		for pc := 0; pc < cl.k; pc += kc {
			kb := min(kc, cl.k-pc)
			beta := float32(1)
			if pc == 0 {
				beta = cl.beta
			}
			// direct: the kernel reads B's whole panels where they lie,
			// so only a last, narrower one is packed.
			direct := rowOff != nil && !cl.tB && im.rowsKernel != nil
			switch {
			case cl.panels != nil:
				panels := (nb + nr - 1) / nr
				dst := bf.b[:panels*nr*kb]
				cl.panels.Pack(dst, bf.tmp, nr, pc, kb, jc, nb)
			case rowOff != nil && cl.tB:
				packRowsT(bf.b, cl.b, rowOff[jc:jc+nb], pc, kb, nr)
			case rowOff != nil:
				from := 0
				if direct {
					from = nb / nr * nr
				}
				packRows(bf.b, cl.b, rowOff[pc:pc+kb], jc, from, nb, nr)
			default:
				packB(bf.b, cl.tB, cl.b, cl.ldb, pc, kb, jc, nb, nr)
			}
			// inA: the kernel reads A's tiles where they lie, and A is
			// packed only if an edge tile needs it.
			inA := direct && !cl.tA && cl.alpha == 1 && im.rowsAKernel != nil
			if inA && (len(bf.panelRows) < kb || bf.panelNR != nr) {
				bf.panelRows, bf.panelNR = make([]int, kc), nr
				for p := range bf.panelRows {
					bf.panelRows[p] = p * nr
				}
			}
			for ic := i0; ic < i1; ic += im.mc {
				mb := min(im.mc, i1-ic)
				packed := false
				for jr := 0; jr < nb; jr += nr {
					bp := bf.b[jr*kb : (jr+nr)*kb]
					cols := min(nr, nb-jr)
					for ir := 0; ir < mb; ir += mr {
						ap := bf.a[ir*kb : (ir+mr)*kb]
						rows := min(mr, mb-ir)
						off := (ic+ir)*ldc + jc + jr
						// An edge tile (only at the right or bottom of C,
						// since chunks are multiples of mr and nr) goes
						// through tile.
						edge := rows < mr || cols < nr
						dst, ld, bt := tile[:mr*nr], nr, float32(0)
						if !edge {
							dst, ld, bt = c[off:off+(mr-1)*ldc+nr], ldc, beta
						}
						switch {
						case inA && rows == mr:
							at := (ic+ir)*cl.lda + pc
							a := cl.a[at : at+(mr-1)*cl.lda+kb]
							if cols == nr {
								im.rowsAKernel(kb, a, cl.lda, cl.b[jc+jr:], rowOff[pc:pc+kb], dst, ld, bt)
								continue
							}
							im.rowsAKernel(kb, a, cl.lda, bp, bf.panelRows[:kb], dst, ld, bt)
							storeTile(rows, cols, tile[:], nr, c[off:], ldc, beta)
							continue
						case !packed:
							packA(bf.a, cl.tA, cl.a, cl.lda, ic, mb, pc, kb, mr, cl.alpha)
							packed = true
						}
						if direct && cols == nr {
							im.rowsKernel(kb, ap, cl.b[jc+jr:], rowOff[pc:pc+kb], dst, ld, bt)
						} else {
							im.kernel(kb, ap, bp, dst, ld, bt)
						}
						if edge {
							storeTile(rows, cols, tile[:], nr, c[off:], ldc, beta)
						}
					}
				}
			}
		}
	}
}
