package conv

import (
	"github.com/untied-ml/untied/core/gemm"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/core/vec"
)

// The banded layout. Every channel of a group of g images is laid out as
// one plane (S² planes at stride S, one per phase (a, b): the pixels whose
// row is a and column b mod S), the images one under another, each row led
// by zero columns and each image followed by zero rows, below zero rows at
// the top. At stride 1 with a 3×3 filter and padding 1:
//
//	x[i, c, y, v]  is at  xp[c·plane + (1 + i·(H+1) + y)·Wp + 1 + v],  Wp = W+1
//
// A row's leading zeros are also the right padding of the row above, and
// the zero rows after an image both its bottom padding and the next one's
// top. Over the output grid q = (i·hp + oh)·Wp + ow, row (c, kh, kw) of the
// im2col matrix is then a plane read from one offset on: the image shifted
// (at stride S, the phase of the tap shifted), which gemm.SgemmRows reads
// in place, where the lowering (implicit.go) copies every entry into the
// engine's panels. The grid's columns ow ≥ OutW and rows oh ≥ OutH are
// outputs computed and thrown away: hp·Wp/(OutH·OutW) times the work, at
// 3×3 with padding 1 1.07 at 28×28, 1.15 at 14×14, 1.31 at 7×7, 1.56 at
// 4×4, and at 1×1 nothing.
type band struct {
	bandGeom
	g     int   // images laid out; 0 before the first
	plane int   // floats per channel and phase
	n     int   // grid positions: ((g−1)·hp + OutH)·Wp
	off   []int // row (c, kh, kw) of the im2col matrix: its offset in the planes
}

// bandGeom is the band's shape apart from the group size.
type bandGeom struct {
	hs, ws int // a phase's rows and columns: ⌈H/S⌉, ⌈W/S⌉
	top    int // zero rows above the first image
	left   int // zero columns leading every row
	hp, wp int // the grid's rows per image (hs + the rows between images) and its row width (ws + left)
	reach  int // rows below a grid row that its taps read: top + the largest row shift
	// rowUsed[a] and colUsed[b] say whether some tap reads phase rows a
	// or columns b (a 1×1 filter at stride 2 reads only phase (0, 0));
	// bandImage lays out only those phases.
	rowUsed, colUsed []bool
}

// bandGeom returns the band for s: every geometry has one, if at a cost
// (see bandPays).
func (s Shape) bandGeom() bandGeom {
	oh, ow := s.OutH(), s.OutW()
	// A tap kh reads phase row oh + dh of phase (kh−P) mod S, with
	// dh = ⌊(kh−P)/S⌋ from ⌊−P/S⌋ to ⌊(KH−1−P)/S⌋.
	dhMin, dhMax := floorDiv(-s.Pad, s.Stride), floorDiv(s.KH-1-s.Pad, s.Stride)
	dwMin, dwMax := floorDiv(-s.Pad, s.Stride), floorDiv(s.KW-1-s.Pad, s.Stride)
	var g bandGeom
	g.hs, g.ws = (s.H+s.Stride-1)/s.Stride, (s.W+s.Stride-1)/s.Stride
	// Between images, zero rows enough for the taps above the first
	// row and below the last; and every image's outputs in its own rows.
	g.top = max(0, -dhMin)
	g.hp = max(g.hs+max(g.top, oh+dhMax-g.hs), oh)
	// Likewise zero columns: a row's leading ones are also the right
	// padding of the row above.
	g.left = max(0, -dwMin, ow+dwMax-g.ws)
	g.wp = max(g.ws+g.left, ow)
	g.reach = g.top + max(dhMax, 0)
	g.rowUsed, g.colUsed = make([]bool, s.Stride), make([]bool, s.Stride)
	for kh := 0; kh < s.KH; kh++ {
		g.rowUsed[kh-s.Pad-floorDiv(kh-s.Pad, s.Stride)*s.Stride] = true
	}
	for kw := 0; kw < s.KW; kw++ {
		g.colUsed[kw-s.Pad-floorDiv(kw-s.Pad, s.Stride)*s.Stride] = true
	}
	return g
}

// floorDiv is ⌊a/b⌋ for b > 0.
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// bandPays reports a geometry where the band is the faster way: where
// its grid is at most 1.4 times the output, or 1 + 32/K times it for K
// output channels under 80. The lowering copies C·KH·KW values per output
// position whatever K is, so the fewer channels the product is spread
// over, the more of the band's wasted grid its copying costs.
// Measured on ResNet-18's layers at width 16, batch 128 (BenchmarkConvBand,
// 6 interleaved rounds, the medians of the three passes summed), the band
// against the lowering: at 3×3 stride 1, 1.95× as fast at 28×28 (grid 1.07
// times the output), 1.47× at 14×14 (1.15), 1.19× at 7×7 (1.31), 0.91× at
// 4×4 with K = 128 (1.56); 2.7× on the stem (one input channel); 1.34× on
// the 1×1 conv at 28×28 (grid = output); at stride 2, 1.21× on the 3×3 conv
// from 28×28 (1.15), 1.17× on the 1×1 (1.0). On LeNet's 5×5 conv from 6 to
// K = 16 channels at 14×14 (grid 1.96 times its 10×10 output), 2.7× on the
// forward pass and 2.4× on the filter gradient; on its 5×5 conv to 120
// channels with one output position (grid 25 times), 0.09×. Laying the
// images side by side rather than one under another throws away less
// (1.25 at 4×4) but measured no faster: each tap's rows then lie a whole
// row of images apart.
//
// A 1×1 filter on images of under 64 output positions (ResNet-50's 7×7
// and 4×4 stages, the projections into them) takes the lowering although
// its grid is its output: its input's copy is the same either way, and the
// packed kernels beat the band's in-place ones there. One thread, the
// three passes summed, lowering against band: 512 to 128 channels at 4×4
// 0.58× the time (the band's filter gradient, on the dot path, takes 2.5×
// the lowering's), 128 to 512 0.79×, 256 to 64 at 7×7 0.84×, the stride-2
// projections from 7×7 0.78× (64 to 128 and 256 to 512), from 14×14 1.0×;
// from 28×28 (196 outputs) the band stays ahead (1.43×).
//
// So does a conv of many input channels, C·KH·KW ≥ 2048 (at stride 2,
// 1024): there the band's filter gradient packs Rᵀ as the lowering's does
// (it leaves gemm's dot path), and the lowering's packed forward and
// backward-data products catch up with the rows kernel's in place.
// Full-width ResNet-18 layers, 3×3, batch 128, one thread, the three passes,
// lowering against band: 256 channels at 8×8 0.87×, at 14×14 0.95×, 512
// at 7×7 0.83×; at stride 2, 128 to 256 channels from 16×16 0.80×, from
// 28×28 0.89×; 64 to 128 (C·KH·KW = 576) from 32×32 and 56×56 1.01–1.05×,
// 128 channels at 16×16 (1152) 1.05×. Not where the images are smaller
// than the output, mostly padding (the backward-data pass of LeNet's 5×5
// conv to one position: a 120-channel conv of a 1×1 image padded by 4),
// which the lowering packs entry by entry: lowered, it took the whole
// LeNet step to 2.6 times its time on the band.
func (s Shape) bandPays() bool {
	if s.KH == 1 && s.KW == 1 && s.Pad == 0 && s.OutH()*s.OutW() < 64 {
		return false
	}
	if ckk := s.C * s.KH * s.KW; (ckk >= 2048 || s.Stride > 1 && ckk >= 1024) && s.H*s.W >= s.OutH()*s.OutW() {
		return false
	}
	g := s.bandGeom()
	grid, out := g.hp*g.wp, s.OutH()*s.OutW()
	return 5*grid <= 7*out || s.K*(grid-out) <= 32*out
}

// layBand lays images [i0, i0+g) of the NCHW batch x out in o.band and
// returns the band's planes; when x is already on the band (onGrid), it
// returns x.
func (o *Op) layBand(x []float32, i0, g int) []float32 {
	o.bandFor(g)
	if o.onGrid {
		return x
	}
	s := o.Stride
	o.scr.xp = grow(o.scr.xp, o.C*s*s*o.band.plane)
	o.perImage(taskBand, x, o.scr.xp, i0, g)
	return o.scr.xp
}

// InputGrid returns the layout in which the passes can read a batch of n
// images where it lies, with no copy (SetInputOnGrid): the band, for a
// stride-1 conv on it whose batch fits one group. Otherwise nil. The
// result is the same pointer from call to call for the same n, also when
// calls alternate between batch sizes (a rule's noise batch beside the
// data's), so they allocate nothing after the first.
func (o *Op) InputGrid(n int) *tensor.Grid {
	if !o.banded || o.nchw || o.Stride != 1 || n < 1 || o.group(n) < n {
		return nil
	}
	for _, g := range o.grids {
		if g.n == n {
			return g.grid
		}
	}
	o.bandFor(n)
	b := &o.band
	g := &tensor.Grid{Plane: b.plane, Origin: b.top*b.wp + b.left, ImagePitch: b.hp * b.wp, RowPitch: b.wp}
	o.grids = append(o.grids, batchGrid{n, g})
	return g
}

// batchGrid is InputGrid(n).
type batchGrid struct {
	n    int
	grid *tensor.Grid
}

// OutputGradGrid returns the layout in which Backward and BackwardData can
// read an output gradient of a batch of n images where it lies: the band
// of the flipped conv, on which Backward lays dY out once for both of its
// products (sharesDY). Otherwise nil. The same pointer for the same n.
func (o *Op) OutputGradGrid(n int) *tensor.Grid {
	if n < 1 || !o.sharesDY(n) {
		return nil
	}
	return o.flip.InputGrid(n)
}

// SetOutputGradOnGrid says whether the dy of the following Backward and
// BackwardData passes lies on OutputGradGrid(n), K planes with zeros
// outside the images, rather than in NCHW order (BackwardFilter and
// BackwardFilterPair take it in NCHW order only). The results are bit for
// bit the same either way.
func (o *Op) SetOutputGradOnGrid(on bool) { o.dyOnGrid = on }

// InputGradGrid returns the layout in which BackwardData can write the
// input gradient of a batch of n images (SetInputGradOnGrid): InputGrid(n),
// where the flipped conv copies its outputs out of its band. Otherwise
// nil.
func (o *Op) InputGradGrid(n int) *tensor.Grid {
	f := o.flip
	if f == nil || !f.banded || f.nchw || f.group(n) < n {
		return nil
	}
	return o.InputGrid(n)
}

// SetInputGradOnGrid says whether BackwardData writes dx on
// InputGradGrid(n), C planes with zeros outside the images (a grid's
// padding stays zero), rather than in NCHW order. The values are bit for
// bit the same either way.
func (o *Op) SetInputGradOnGrid(on bool) { o.dxOnGrid = on }

// SetInputOnGrid says whether the x of the following passes (Forward,
// ForwardPair, Backward, BackwardFilter, BackwardFilterPair) lies on
// InputGrid(n), C planes with zeros outside the images, rather than in
// NCHW order. The results are bit for bit the same either way.
func (o *Op) SetInputOnGrid(on bool) { o.onGrid = on }

// bandFor sets o.band's geometry and row offsets for groups of g images.
func (o *Op) bandFor(g int) {
	b := &o.band
	if b.g != g {
		if b.wp == 0 { // the geometry, built once: it does not depend on g
			b.bandGeom = o.bandGeom()
		}
		b.g = g
		b.n = ((g-1)*b.hp + o.oh) * b.wp
		// Below the grid's last row its taps read reach rows, and one
		// more where a shift to the right wraps into the next row.
		b.plane = (b.top + g*b.hp + b.reach + 1) * b.wp
		s := o.Stride
		b.off = b.off[:0]
		for c := 0; c < o.C; c++ {
			for kh := 0; kh < o.KH; kh++ {
				for kw := 0; kw < o.KW; kw++ {
					dh, dw := floorDiv(kh-o.Pad, s), floorDiv(kw-o.Pad, s)
					a, bb := kh-o.Pad-dh*s, kw-o.Pad-dw*s
					b.off = append(b.off, ((c*s+a)*s+bb)*b.plane+(b.top+dh)*b.wp+b.left+dw)
				}
			}
		}
	}
}

// bandForward is forward on the banded layout.
func (o *Op) bandForward(n int, x, w []float32, ys ...[]float32) {
	ckk, g := o.C*o.KH*o.KW, o.group(n)
	rows := len(ys) * o.K
	for i0 := 0; i0 < n; i0 += g {
		gi := min(g, n-i0)
		xp := o.layBand(x, i0, gi)
		grid := o.band.n
		mat := grow(o.scr.mat, rows*grid)
		o.scr.mat = mat
		gemm.SgemmRows(false, false, rows, grid, ckk, 1, w, ckk, xp, o.band.off, 0, mat, grid)
		for j, y := range ys {
			o.perImage(taskBandScatter, mat[j*o.K*grid:], y, i0, gi)
		}
	}
}

// bandBackwardFilter is backwardFilter on the banded layout: c = beta·c +
// dY·COLᵀ, with dY laid out on the grid, zero at the positions that
// forward throws away, and COL's rows the band's shifted planes.
func (o *Op) bandBackwardFilter(n int, x, c []float32, beta float32, dys ...[]float32) {
	ckk, g := o.C*o.KH*o.KW, o.group(n)
	rows := len(dys) * o.K
	for i0 := 0; i0 < n; i0 += g {
		gi := min(g, n-i0)
		xp := o.layBand(x, i0, gi)
		grid := o.band.n
		mat := grow(o.scr.mat, rows*grid)
		o.scr.mat = mat
		for j, dy := range dys {
			o.perImage(taskBandGather, dy, mat[j*o.K*grid:], i0, gi)
		}
		gemm.SgemmRows(false, true, rows, ckk, grid, 1, mat, grid, xp, o.band.off, beta, c, ckk)
		beta = 1
	}
}

// bandImage lays image i of the batch x [n,C,H,W] out as image j of the
// band, zeros in the padding of its rows: the planes may hold another
// pass's data (a shared Scratch), so every pass writes all it reads. At
// stride 1 each row of the image is written whole, its leading zeros with
// it (vec.PadRows); at stride 2 each row is dealt out to its column
// phases (vec.Deal2); at larger strides each phase's pixels one by one.
func (o *Op) bandImage(xp, x []float32, i, j int) {
	b := &o.band
	hw, st := o.H*o.W, o.Stride
	if st == 1 {
		for c := 0; c < o.C; c++ {
			p := xp[c*b.plane : (c+1)*b.plane]
			vec.PadRows(p[(b.top+j*b.hp)*b.wp:], b.wp, x[(i*o.C+c)*hw:], o.W, o.H, b.left, o.W)
			b.clearPads(p, j, o.H)
		}
		return
	}
	for c := 0; c < o.C; c++ {
		for a := 0; a < st; a++ {
			for ph := 0; ph < st; ph++ {
				if b.rowUsed[a] && b.colUsed[ph] {
					// Image j's part of the plane cleared whole, then
					// dealt into: cheaper than a clear around each short row.
					p := ((c*st+a)*st + ph) * b.plane
					b.clearPads(xp[p:p+b.plane], j, 0)
				}
			}
		}
		src := x[(i*o.C+c)*hw : (i*o.C+c+1)*hw]
		if st == 2 && b.colUsed[0] {
			// Row phase a: every other row from a, split by column parity.
			for a := 0; a < 2; a++ {
				if !b.rowUsed[a] || a >= o.H {
					continue
				}
				at := (b.top+j*b.hp)*b.wp + b.left
				even := xp[(c*4+a*2)*b.plane+at : (c*4+a*2+1)*b.plane]
				var odd []float32
				if b.colUsed[1] {
					odd = xp[(c*4+a*2+1)*b.plane+at : (c*4+a*2+2)*b.plane]
				}
				vec.Deal2(even, odd, b.wp, src[a*o.W:], 2*o.W, (o.H-a+1)/2, o.W)
			}
			continue
		}
		for y := 0; y < o.H; y++ {
			a := y % st
			if !b.rowUsed[a] {
				continue
			}
			row := src[y*o.W : (y+1)*o.W]
			at := (b.top+j*b.hp+y/st)*b.wp + b.left
			for ph := 0; ph < st; ph++ { // the columns of phase (a, ph)
				if !b.colUsed[ph] {
					continue
				}
				d := xp[((c*st+a)*st+ph)*b.plane+at:]
				d = d[:(o.W-ph+st-1)/st]
				for t := range d {
					d[t] = row[ph+t*st]
				}
			}
		}
	}
}

// clearPads zeroes what image j owns of plane p (its grid rows, and for
// the first image the rows above it, for the last those below) but its
// first rows rows, which the caller writes whole: two clears at most.
func (b *band) clearPads(p []float32, j, rows int) {
	lo, hi := (b.top+j*b.hp)*b.wp, (b.top+(j+1)*b.hp)*b.wp
	if j == 0 {
		lo = 0
	}
	if j == b.g-1 {
		hi = len(p)
	}
	at := (b.top + j*b.hp) * b.wp
	clear(p[lo:at])
	clear(p[at+rows*b.wp : hi])
}

// bandOut copies image j of the grid-shaped matrix mat [K, grid] (the
// outputs of the band) to image i of the NCHW batch y.
// With ForwardSums running (o.sums), it gathers each plane's sums too.
func (o *Op) bandOut(y, mat []float32, i, j int) {
	b := &o.band
	p := o.oh * o.ow
	if g := o.outGrid; g != nil {
		for k := 0; k < o.K; k++ {
			g.PutRows(y, i, k, mat[k*b.n+j*b.hp*b.wp:], b.wp, o.oh, o.ow)
		}
		return
	}
	for k := 0; k < o.K; k++ {
		plane := y[(i*o.K+k)*p : (i*o.K+k+1)*p]
		vec.PadRows(plane, o.ow, mat[k*b.n+j*b.hp*b.wp:], b.wp, o.oh, 0, o.ow)
		if o.sums != nil { // one group: mat[k·n] is image 0's first output
			o.gatherSums(i, k, plane, mat[k*b.n])
		}
	}
}

// bandIn is bandOut's inverse: image i of the NCHW batch y to image j of
// mat, with zeros in the grid's columns past OutW and rows past OutH.
func (o *Op) bandIn(mat, y []float32, i, j int) {
	b := &o.band
	p := o.oh * o.ow
	last := j == b.g-1 // the grid ends with its last output row
	for k := 0; k < o.K; k++ {
		dst := mat[k*b.n+j*b.hp*b.wp:]
		vec.PadRows(dst, b.wp, y[(i*o.K+k)*p:(i*o.K+k+1)*p], o.ow, o.oh, 0, o.ow)
		if !last {
			clear(dst[o.oh*b.wp : b.hp*b.wp])
		}
	}
}

// sharesDY reports whether Backward can lay dY out once for both passes:
// a stride-1 conv on the band whose backward-data (the flipped conv) is on
// a band of the same grid, the whole batch in one group each. dY on the
// flipped conv's band is then dY on this conv's grid, shifted by the
// band's top rows and left columns, zero where forward throws outputs
// away (the band's padding).
func (o *Op) sharesDY(n int) bool {
	f := o.flip
	if !o.banded || f == nil || !f.banded || o.group(n) < n || f.group(n) < n {
		return false
	}
	// The bands for the batch, as Backward lays them out (bandFor keeps
	// them from call to call: building a geometry allocates).
	o.bandFor(n)
	f.bandFor(n)
	return o.band.hp == f.band.hp && o.band.wp == f.band.wp && f.H == o.oh && f.W == o.ow
}

// bandBackward is Backward on the band when sharesDY(n): dY laid out once
// on the flipped conv's band serves as the filter gradient's grid and as
// backward-data's input; backward-data's output grid goes into the
// scratch band (x's, unless x came on the grid), free once the filter
// gradient is taken.
func (o *Op) bandBackward(n int, x, dy, dw []float32, beta float32, wT, dx []float32) {
	f := o.flip
	xp := o.layBand(x, 0, n)
	f.bandFor(n)
	fb := &f.band
	dyb := dy
	if !o.dyOnGrid {
		dyb = grow(o.scr.mat, o.K*fb.plane)
		o.scr.mat = dyb
		f.perImage(taskBand, dy, dyb, 0, n)
	}
	ckk := o.C * o.KH * o.KW
	at := fb.top*fb.wp + fb.left // dY's grid in its band
	gemm.SgemmRows(false, true, o.K, ckk, o.band.n, 1, dyb[at:], fb.plane, xp, o.band.off, beta, dw, ckk)
	o.wflip = grow(o.wflip, o.FilterLen())
	flipFilter(o.wflip, wT, o.Shape)
	out := grow(o.scr.xp, f.K*fb.n)
	o.scr.xp = out
	gemm.SgemmRows(false, false, f.K, fb.n, f.C*f.KH*f.KW, 1, o.wflip, f.C*f.KH*f.KW, dyb, fb.off, 0, out, fb.n)
	f.perImage(taskBandScatter, out, dx, 0, n)
}
