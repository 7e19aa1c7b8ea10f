package conv

import "github.com/untied-ml/untied/core/gemm"

// The banded layout, for a stride-1 "same" convolution (KH = KW = 2P+1 and
// P ≤ W, so OutH = H and OutW = W: every 3×3 stride-1 conv of a ResNet,
// and every 1×1 stride-1 one). Every channel of a group of g images is one
// plane, the images one under another, each row led by P zero columns and
// each image followed by P zero rows, below P zero rows at the top:
//
//	x[i, c, y, v]  is at  xp[c·S + (P + i·(H+P) + y)·Wp + P + v],  Wp = W+P
//
// A row's leading zeros are also the right padding of the row above, and
// the zero rows after an image both its bottom padding and the next one's
// top. Over the output grid q = (i·(H+P) + y)·Wp + v, row (c, kh, kw) of
// the im2col matrix is then the plane read from c·S + kh·Wp + kw on: one
// slice and a shift per row, which gemm.SgemmRows reads in place, where the
// lowering (implicit.go) copies every entry into the engine's panels. The
// grid's columns v ≥ W and rows y ≥ H are outputs computed and thrown
// away: (H+P)·Wp/(H·W) times the work, 1.07 at 28×28 with P = 1, 1.15 at
// 14×14, 1.31 at 7×7, 1.56 at 4×4.
type band struct {
	g      int // images laid out; 0 before the first
	wp, hp int // Wp = W+P and H+P: a row and an image of the grid
	plane  int // S, floats per channel
	n      int // grid positions: ((g−1)·(H+P) + H)·Wp
	xp     []float32
	off    []int // row (c, kh, kw) of the im2col matrix: c·S + kh·Wp + kw
}

// bandable reports a geometry the banded layout computes.
func (s Shape) bandable() bool {
	return s.Stride == 1 && s.KH == 2*s.Pad+1 && s.KW == 2*s.Pad+1 && s.Pad <= s.W
}

// bandPays reports a bandable geometry where the band is the faster way:
// where its grid is at most 1.4 times the image. Measured on ResNet-18's
// layers at width 16, batch 128 (BenchmarkConvBand, 4 interleaved rounds,
// the three passes' times summed), the band against the lowering: 1.8× as
// fast at 28×28 (grid 1.07 times the image), 1.4× at 14×14 (1.15), 1.1× at
// 7×7 (1.31), 0.94× at 4×4 (1.56), where the lowering's cost is spread
// over 128 output channels; 1.4× on the 1×1 conv at 28×28 (grid = image).
func (s Shape) bandPays() bool {
	return 5*(s.H+s.Pad)*(s.W+s.Pad) <= 7*s.H*s.W
}

// layBand lays images [i0, i0+g) of the NCHW batch x out in o.band.
func (o *Op) layBand(x []float32, i0, g int) {
	b := &o.band
	if b.g != g {
		p := o.Pad
		b.g, b.wp, b.hp = g, o.W+p, o.H+p
		b.n = ((g-1)*b.hp + o.H) * b.wp
		// The last row of the grid reads 2P rows and 2P columns on,
		// which fit in 2P+1 rows as 2P ≤ Wp.
		b.plane = ((g-1)*b.hp + o.H + 2*p + 1) * b.wp
		b.xp = grow(b.xp, o.C*b.plane)
		clear(b.xp) // the padding; the images' pixels are written below
		b.off = b.off[:0]
		for c := 0; c < o.C; c++ {
			for kh := 0; kh < o.KH; kh++ {
				for kw := 0; kw < o.KW; kw++ {
					b.off = append(b.off, c*b.plane+kh*b.wp+kw)
				}
			}
		}
	}
	o.perImage(taskBand, x, b.xp, i0, g)
}

// bandForward is forward on the banded layout.
func (o *Op) bandForward(n int, x, w []float32, ys ...[]float32) {
	ckk, g := o.C*o.KH*o.KW, o.group(n)
	rows := len(ys) * o.K
	for i0 := 0; i0 < n; i0 += g {
		gi := min(g, n-i0)
		o.layBand(x, i0, gi)
		grid := o.band.n
		o.mat = grow(o.mat, rows*grid)
		gemm.SgemmRows(false, false, rows, grid, ckk, 1, w, ckk, o.band.xp, o.band.off, 0, o.mat, grid)
		for j, y := range ys {
			o.perImage(taskBandScatter, o.mat[j*o.K*grid:], y, i0, gi)
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
		o.layBand(x, i0, gi)
		grid := o.band.n
		o.mat = grow(o.mat, rows*grid)
		for j, dy := range dys {
			o.perImage(taskBandGather, dy, o.mat[j*o.K*grid:], i0, gi)
		}
		gemm.SgemmRows(false, true, rows, ckk, grid, 1, o.mat, grid, o.band.xp, o.band.off, beta, c, ckk)
		beta = 1
	}
}

// bandImage lays image i of the batch x [n,C,H,W] out as image j of the
// band.
func (o *Op) bandImage(xp, x []float32, i, j int) {
	b := &o.band
	hw := o.H * o.W
	for c := 0; c < o.C; c++ {
		src := x[(i*o.C+c)*hw : (i*o.C+c+1)*hw]
		dst := xp[c*b.plane+(o.Pad+j*b.hp)*b.wp+o.Pad:]
		for y := 0; y < o.H; y++ {
			copy(dst[y*b.wp:y*b.wp+o.W], src[y*o.W:])
		}
	}
}

// bandOut copies image j of the grid-shaped matrix mat [K, grid] (the
// outputs of the band) to image i of the NCHW batch y.
func (o *Op) bandOut(y, mat []float32, i, j int) {
	b := &o.band
	hw := o.H * o.W
	for k := 0; k < o.K; k++ {
		dst := y[(i*o.K+k)*hw : (i*o.K+k+1)*hw]
		src := mat[k*b.n+j*b.hp*b.wp:]
		for r := 0; r < o.H; r++ {
			copy(dst[r*o.W:(r+1)*o.W], src[r*b.wp:])
		}
	}
}

// bandIn is bandOut's inverse: image i of the NCHW batch y to image j of
// mat, with zeros in the grid's columns past W and rows past H.
func (o *Op) bandIn(mat, y []float32, i, j int) {
	b := &o.band
	hw := o.H * o.W
	last := j == b.g-1 // the grid ends with its last row of pixels
	for k := 0; k < o.K; k++ {
		src := y[(i*o.K+k)*hw : (i*o.K+k+1)*hw]
		dst := mat[k*b.n+j*b.hp*b.wp:]
		for r := 0; r < o.H; r++ {
			copy(dst[r*b.wp:r*b.wp+o.W], src[r*o.W:])
			clear(dst[r*b.wp+o.W : (r+1)*b.wp])
		}
		if !last {
			clear(dst[o.H*b.wp : b.hp*b.wp])
		}
	}
}
