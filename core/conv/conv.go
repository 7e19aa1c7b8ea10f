package conv

import (
	"fmt"

	"github.com/untied-ml/untied/core/gemm"
	"github.com/untied-ml/untied/core/tensor"
)

// Shape is the geometry of one convolution: C input channels of H×W images,
// K output channels, KH×KW filters, the same stride and zero padding on both
// axes. Filters are stored [K, C, KH, KW].
type Shape struct {
	C, H, W     int
	K, KH, KW   int
	Stride, Pad int
}

// OutH is the output height.
func (s Shape) OutH() int { return (s.H+2*s.Pad-s.KH)/s.Stride + 1 }

// OutW is the output width.
func (s Shape) OutW() int { return (s.W+2*s.Pad-s.KW)/s.Stride + 1 }

// FilterLen is the number of filter weights, K·C·KH·KW.
func (s Shape) FilterLen() int { return s.K * s.C * s.KH * s.KW }

// Validate reports a geometry that cannot be computed.
func (s Shape) Validate() error {
	switch {
	case s.C < 1 || s.H < 1 || s.W < 1 || s.K < 1 || s.KH < 1 || s.KW < 1:
		return fmt.Errorf("conv: non-positive dimension in %+v", s)
	case s.Stride < 1:
		return fmt.Errorf("conv: stride %d, want ≥ 1", s.Stride)
	case s.Pad < 0:
		return fmt.Errorf("conv: padding %d, want ≥ 0", s.Pad)
	case s.OutH() < 1 || s.OutW() < 1:
		return fmt.Errorf("conv: %dx%d filter larger than padded %dx%d input", s.KH, s.KW, s.H+2*s.Pad, s.W+2*s.Pad)
	}
	return nil
}

// pointwise reports a 1×1, stride-1, unpadded convolution: a plain matrix
// product per image, with no im2col.
func (s Shape) pointwise() bool {
	return s.KH == 1 && s.KW == 1 && s.Stride == 1 && s.Pad == 0
}

// nchwPays reports a pointwise conv whose images are large enough to be
// products of their own: at least 64 positions, two of the kernel's
// 32-column tiles. Measured on ResNet-50's 1×1 convs at width 16, batch
// 128, one thread (BenchmarkConvPointwise; forward and backward-data
// against the band or the lowering): 2.9 to 4.7 times as fast at 28×28,
// 1.3 to 1.8 times at 14×14, 0.84 to 1.4 at 7×7, and 0.35 to 0.7 at 4×4,
// where an image is one narrow edge tile. The filter gradient at 28×28:
// 1.8 to 2.8 times as fast, on one thread and two.
func (s Shape) nchwPays() bool { return s.pointwise() && s.OutH()*s.OutW() >= 64 }

// Op runs convolutions of one Shape. Each pass lays a group of images side
// by side as one matrix and makes one large GEMM of it, which the engine
// runs at a far higher rate than one small GEMM per image:
//
//	forward:         Y[K, G·P]  = W[K, C·KH·KW] · COL[C·KH·KW, G·P]
//	backward-data:   dX         = conv(dY, W flipped, padding KH−1−P)  (stride 1)
//	                 dCOL       = Wᵀ · dY, then col2im per image       (otherwise)
//	backward-filter: dW        += dY · COLᵀ
//
// with P = OutH·OutW and COL the im2col of the group, which is never
// stored. Where it pays (Shape.bandPays: every layer of the small-image
// ResNets but their 4×4 ones), the images are laid out in the banded
// layout (band.go), where each row of COL is the layout shifted: the
// forward GEMM reads those rows in place (gemm.SgemmRows) and the filter
// gradient takes dot products of them with dY's rows (its dot path).
// Elsewhere the engine packs COL block by block straight from the images
// (see lowering). Y and dY are gathered from and scattered to NCHW per
// image; a pointwise conv (1×1, stride 1), whose COL is the image itself,
// runs on the NCHW batch where it pays (nchw). Its buffers are reused, so
// one Op must not be used by two goroutines at once, nor two Ops that
// Share a Scratch.
type Op struct {
	Shape
	oh, ow int       // OutH and OutW, which the lowering's inner loops need
	scr    *Scratch  // the buffers of one pass: its own, or shared (Share)
	pair   []float32 // the pair passes' stacked filters or filter gradients: [2, K·C·KH·KW]

	flip  *Op       // backward-data as a stride-1 forward conv; nil if not
	wflip []float32 // the filter for flip: [C, K, KH, KW], flipped in space

	band     band         // stride-1 "same" convs: the banded layout (band.go)
	banded   bool         // the passes that can use it do
	onGrid   bool         // x comes on the band (SetInputOnGrid)
	dyOnGrid bool         // dy comes on the flipped conv's band (SetOutputGradOnGrid)
	dxOnGrid bool         // dx goes on InputGrid (SetInputGradOnGrid)
	outGrid  *tensor.Grid // where bandOut writes y (BackwardData's flip, for dxOnGrid); nil: NCHW
	sums     []float64    // ForwardSums's, while it runs
	grids    []batchGrid  // InputGrid's, one a batch size asked for

	// nchw: a pointwise conv whose passes run on the NCHW batch itself,
	// with no layout to copy it into: forward and backward-data one
	// matrix product per image (gemm.SgemmBatch), and for images of a
	// multiple of 8 positions the filter gradient the sum of one per
	// image (gemm.SgemmRowsSum, the band's bits on the dot path: with
	// other sizes each image's last products go one by one, and the band
	// was faster at 14×14). See Shape.nchwPays.
	nchw    bool
	chanOff []int // with nchw, where each channel's plane starts in an image

	// taps, for outputs of at most 16 positions: per tap, the
	// pixel each output position reads, −1 in the padding (small.go).
	taps [][16]int32

	task    imageTask // the per-image loop in progress, reused by every pass
	imgSums imageSums // ForwardSums's on the NCHW batch, reused likewise
	low     lowering  // the im2col in progress, reused by every pass
}

// New returns an Op for s, or an error if s is not a valid geometry.
func New(s Shape) (*Op, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	o := newOp(s)
	// The adjoint of a stride-1 conv is the conv of dY with the filter
	// transposed in channels and flipped in space, padded KH−1−P: its
	// inner dimension is K·KH·KW, where col2im's GEMM had only K and wrote
	// a column gradient KH·KW times the image.
	if s.Stride == 1 && s.KH == s.KW && s.Pad <= s.KH-1 && !s.pointwise() {
		f := Shape{C: s.K, H: s.OutH(), W: s.OutW(), K: s.C, KH: s.KH, KW: s.KW, Stride: 1, Pad: s.KH - 1 - s.Pad}
		if f.Validate() == nil && f.OutH() == s.H && f.OutW() == s.W {
			o.flip = newOp(f)
		}
	}
	return o, nil
}

func newOp(s Shape) *Op {
	o := &Op{Shape: s, oh: s.OutH(), ow: s.OutW(), banded: s.bandPays(), nchw: s.nchwPays(), scr: new(Scratch), taps: s.smallTaps()}
	if s.pointwise() {
		o.chanOff = make([]int, s.C)
		for c := range o.chanOff {
			o.chanOff[c] = c * s.H * s.W
		}
	}
	return o
}

// Scratch holds the buffers an Op needs only within one pass: its input in
// the banded layout, its output-shaped matrix and backward-data's column
// gradient. Every pass writes what it reads of them first, so Ops that
// never run at the same time, such as the convolutions of one network, can
// share one (Op.Share): the network then holds one set of these buffers,
// as large as its largest layer needs, rather than one set per layer
// (ResNet-18 at width 16, batch 128: 28 MB rather than 280).
type Scratch struct {
	xp   []float32 // the band's planes (band.go)
	mat  []float32 // output-shaped matrix of a group: [K, G·P] ([2K, G·P] for a pair)
	dcol []float32 // backward-data's column gradient: [C·KH·KW, G·P]
}

// Share makes o use s for its passes' buffers, with every other Op given
// the same s; none of them may then run while another does.
func (o *Op) Share(s *Scratch) {
	o.scr = s
	if o.flip != nil {
		o.flip.scr = s
	}
}

// maxGroupFloats bounds the output matrix of one group (64 MiB).
const maxGroupFloats = 16 << 20

// group returns how many images go into one GEMM.
func (o *Op) group(n int) int {
	per := max(o.C*o.KH*o.KW, o.K) * o.OutH() * o.OutW()
	return max(1, min(n, maxGroupFloats/max(per, 1)))
}

func (o *Op) matrix(g int) []float32 { return o.matrixRows(o.K, g) }

// matrixRows is matrix for rows channels, 2K for the pair passes.
func (o *Op) matrixRows(rows, g int) []float32 {
	n := rows * g * o.OutH() * o.OutW()
	o.scr.mat = grow(o.scr.mat, n)
	return o.scr.mat[:n]
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

func (o *Op) check(name string, n int, bufs ...[]float32) {
	ins, outs := o.C*o.H*o.W, o.K*o.OutH()*o.OutW()
	var lens [3]int
	switch name {
	case "Forward":
		lens = [3]int{n * ins, o.FilterLen(), n * outs}
	case "BackwardData":
		lens = [3]int{n * outs, o.FilterLen(), n * ins}
	case "BackwardFilter":
		lens = [3]int{n * ins, n * outs, o.FilterLen()}
	}
	if o.dyOnGrid && name != "Forward" && n > 0 {
		g := o.OutputGradGrid(n)
		if g == nil {
			panic(fmt.Sprintf("conv: %s %+v batch %d: dy on a grid, but the passes do not read one here (OutputGradGrid is nil)", name, o.Shape, n))
		}
		if name == "BackwardData" {
			lens[0] = g.Len(o.K)
		} else {
			lens[1] = g.Len(o.K)
		}
	}
	if o.dxOnGrid && name == "BackwardData" && n > 0 {
		g := o.InputGradGrid(n)
		if g == nil {
			panic(fmt.Sprintf("conv: %s %+v batch %d: dx on a grid, but the pass does not write one here (InputGradGrid is nil)", name, o.Shape, n))
		}
		lens[2] = g.Len(o.C)
	}
	if o.onGrid && name != "BackwardData" && n > 0 {
		g := o.InputGrid(n)
		if g == nil {
			panic(fmt.Sprintf("conv: %s %+v batch %d: x on a grid, but the passes do not read one here (InputGrid is nil)", name, o.Shape, n))
		}
		lens[0] = g.Len(o.C)
	}
	for i, b := range bufs {
		if len(b) < lens[i] {
			panic(fmt.Sprintf("conv: %s %+v batch %d: argument %d has %d elements, want %d", name, o.Shape, n, i, len(b), lens[i]))
		}
	}
}

// lowered returns images [i0, i0+g) of x as the engine's B operand: COL,
// or COLᵀ when transposed.
func (o *Op) lowered(x []float32, i0 int, transposed bool) gemm.Panels {
	o.low = lowering{o: o, x: x, i0: i0, transposed: transposed}
	return &o.low
}

// Forward sets y = conv(x, w) for a batch of n images. x is [n,C,H,W], w is
// [K,C,KH,KW], y is [n,K,OutH,OutW]. As loops:
//
//	y[i,k,oh,ow] = Σ_{c,kh,kw} w[k,c,kh,kw]·x[i,c,oh·S−P+kh,ow·S−P+kw]   (x = 0 outside)
func (o *Op) Forward(n int, x, w, y []float32) {
	o.check("Forward", n, x, w, y)
	o.forward(n, x, w, y)
}

// ForwardSums is Forward that also gathers, where the output is copied out
// of the band or the lowering's matrix in one group, a BatchNorm's
// statistics while each plane is in cache: sums[2(i·K+k)] and
// sums[2(i·K+k)+1] are vec.ShiftedSums of image i's output plane k with
// the shift y[0,k,0,0] (channel k's first value); on the NCHW batch, as
// each image's product finishes (image 0's first). It returns whether it
// did; if not (in several groups), sums is left alone.
func (o *Op) ForwardSums(n int, x, w, y []float32, sums []float64) bool {
	o.check("Forward", n, x, w, y)
	if !o.nchw && o.group(n) < n || len(sums) < 2*n*o.K {
		o.forward(n, x, w, y)
		return false
	}
	o.sums = sums
	o.forward(n, x, w, y)
	o.sums = nil
	return true
}

// forward runs Forward for len(ys) filters stacked in w ([len(ys)·K,
// C·KH·KW]), one output each: the GEMM's rows are every filter's, so x is
// lowered once for all.
func (o *Op) forward(n int, x, w []float32, ys ...[]float32) {
	if o.nchw {
		p, kc := o.oh*o.ow, o.K*o.C
		for j, y := range ys {
			if o.sums == nil {
				gemm.SgemmBatch(false, false, o.K, p, o.C, 1, w[j*kc:], o.C, x, p, o.C*p, 0, y, p, o.K*p, n)
				continue
			}
			// Image 0 first: its first values shift every image's sums,
			// each image's gathered as its product finishes.
			h := &o.imgSums
			*h = imageSums{o: o, y: y}
			gemm.SgemmBatchEach(false, false, o.K, p, o.C, 1, w[j*kc:], o.C, x, p, o.C*p, 0, y, p, o.K*p, 1, h)
			if h.first = 1; n > 1 {
				gemm.SgemmBatchEach(false, false, o.K, p, o.C, 1, w[j*kc:], o.C, x[o.C*p:], p, o.C*p, 0, y[o.K*p:], p, o.K*p, n-1, h)
			}
			*h = imageSums{}
		}
		return
	}
	if o.banded {
		o.bandForward(n, x, w, ys...)
		return
	}
	p, ckk, g := o.OutH()*o.OutW(), o.C*o.KH*o.KW, o.group(n)
	rows := len(ys) * o.K
	for i0 := 0; i0 < n; i0 += g {
		gi := min(g, n-i0)
		mat := o.matrixRows(rows, gi)
		gemm.SgemmPanels(false, rows, gi*p, ckk, 1, w, ckk, o.lowered(x, i0, false), 0, mat, gi*p)
		for j, y := range ys {
			o.scatter(mat[j*o.K*gi*p:], y, i0, gi)
		}
	}
	o.low = lowering{}
}

// ForwardPair sets y = conv(x, w) and y2 = conv(x, w2) in one pass: the
// GEMM runs on the filters stacked, [w; w2] [2K, C·KH·KW], so x is lowered
// once for both rather than once each. Every element of y and y2 sums the
// same products in the same order as Forward's, so each is bit for bit
// what Forward gives.
func (o *Op) ForwardPair(n int, x, w, w2, y, y2 []float32) {
	o.check("Forward", n, x, w, y)
	o.check("Forward", n, x, w2, y2)
	fl := o.FilterLen()
	o.pair = grow(o.pair, 2*fl)
	copy(o.pair, w[:fl])
	copy(o.pair[fl:], w2[:fl])
	o.forward(n, x, o.pair, y, y2)
}

// BackwardData sets dx = conv_transpose(dy, w): the gradient of Forward with
// respect to its input when w is the forward filter, or the feedback route's
// input gradient when w is B. As loops:
//
//	dx[i,c,h,v] = Σ_{k,kh,kw: h = oh·S−P+kh, v = ow·S−P+kw} w[k,c,kh,kw]·dy[i,k,oh,ow]
func (o *Op) BackwardData(n int, dy, w, dx []float32) {
	o.check("BackwardData", n, dy, w, dx)
	if o.nchw {
		p := o.oh * o.ow
		gemm.SgemmBatch(true, false, o.C, p, o.K, 1, w, o.C, dy, p, o.K*p, 0, dx, p, o.C*p, n)
		return
	}
	if o.flip != nil {
		o.wflip = grow(o.wflip, o.FilterLen())
		flipFilter(o.wflip, w, o.Shape)
		o.flip.SetInputOnGrid(o.dyOnGrid) // the flip's band is dy's grid
		if o.dxOnGrid {
			o.flip.outGrid = o.InputGrid(n)
		}
		o.flip.Forward(n, dy, o.wflip, dx)
		o.flip.SetInputOnGrid(false)
		o.flip.outGrid = nil
		return
	}
	p, ckk, g := o.OutH()*o.OutW(), o.C*o.KH*o.KW, o.group(n)
	for i0 := 0; i0 < n; i0 += g {
		gi := min(g, n-i0)
		mat := o.matrix(gi)
		o.scr.dcol = grow(o.scr.dcol, ckk*gi*p)
		col := o.scr.dcol
		o.gather(dy, mat, i0, gi)
		gemm.Sgemm(true, false, ckk, gi*p, o.K, 1, w, ckk, mat, gi*p, 0, col, gi*p)
		o.perImage(taskCol2im, col, dx, i0, gi)
	}
}

// Backward runs BackwardFilter(n, x, dy, dw, beta) and BackwardData(n, dy,
// wT, dx), the two passes of a layer's backward (wT the forward filter for
// backprop, B on the feedback route), with the same results bit for bit.
// On the band they share dY's layout (bandBackward): it is laid out once.
func (o *Op) Backward(n int, x, dy, dw []float32, beta float32, wT, dx []float32) {
	if n == 0 || !o.sharesDY(n) {
		o.BackwardFilter(n, x, dy, dw, beta)
		o.BackwardData(n, dy, wT, dx)
		return
	}
	o.check("BackwardFilter", n, x, dy, dw)
	o.check("BackwardData", n, dy, wT, dx)
	o.bandBackward(n, x, dy, dw, beta, wT, dx)
}

// denseDY panics if dy is set to come on a grid, which pass does not read.
func (o *Op) denseDY(pass string) {
	if o.dyOnGrid {
		panic(fmt.Sprintf("conv: %s %+v: dy on a grid, which it takes in NCHW order only", pass, o.Shape))
	}
}

// flipFilter sets f[c,k,kh,kw] = w[k,c,KH−1−kh,KW−1−kw].
func flipFilter(f, w []float32, s Shape) {
	kk := s.KH * s.KW
	for k := 0; k < s.K; k++ {
		for c := 0; c < s.C; c++ {
			src := w[(k*s.C+c)*kk : (k*s.C+c+1)*kk]
			dst := f[(c*s.K+k)*kk : (c*s.K+k+1)*kk]
			for t, v := range src {
				dst[kk-1-t] = v
			}
		}
	}
}

// BackwardFilter sets dw = beta·dw + Σ_i corr(x_i, dy_i), the gradient of
// Σ dy·Forward(x, w) with respect to w. As loops:
//
//	dw[k,c,kh,kw] = beta·dw[k,c,kh,kw] + Σ_{i,oh,ow} dy[i,k,oh,ow]·x[i,c,oh·S−P+kh,ow·S−P+kw]
//
// The sum over images and positions is the GEMM's inner dimension, which
// the engine never splits, so the result does not depend on GOMAXPROCS.
func (o *Op) BackwardFilter(n int, x, dy, dw []float32, beta float32) {
	o.denseDY("BackwardFilter")
	o.check("BackwardFilter", n, x, dy, dw)
	if n == 0 {
		scale(dw[:o.FilterLen()], beta)
		return
	}
	o.backwardFilter(n, x, dw, beta, dy)
}

// backwardFilter runs BackwardFilter for len(dys) output gradients at once
// into c, their filter gradients stacked ([len(dys)·K, C·KH·KW]): the
// GEMM's rows are every gradient's, so x is lowered once for all. n > 0.
func (o *Op) backwardFilter(n int, x, c []float32, beta float32, dys ...[]float32) {
	if p, kc := o.oh*o.ow, o.K*o.C; o.nchw && p%8 == 0 {
		for j, dy := range dys {
			gemm.SgemmRowsSum(o.K, o.C, p, 1, dy, p, o.K*p, x, o.chanOff, o.C*p, beta, c[j*kc:], o.C, n)
		}
		return
	}
	if o.banded {
		o.bandBackwardFilter(n, x, c, beta, dys...)
		return
	}
	p, ckk, g := o.OutH()*o.OutW(), o.C*o.KH*o.KW, o.group(n)
	rows := len(dys) * o.K
	for i0 := 0; i0 < n; i0 += g {
		gi := min(g, n-i0)
		mat := o.matrixRows(rows, gi)
		for j, dy := range dys {
			o.gather(dy, mat[j*o.K*gi*p:], i0, gi)
		}
		gemm.SgemmPanels(false, rows, ckk, gi*p, 1, mat, gi*p, o.lowered(x, i0, true), beta, c, ckk)
		beta = 1
	}
	o.low = lowering{}
}

// BackwardFilterPair is BackwardFilter for two output gradients of the
// same input x in one pass: dw = beta·dw + corr(x, dy) and dw2 = beta2·dw2
// + corr(x, dy2). The GEMM runs on [dy; dy2] [2K, G·P], so x is lowered
// once for both. With beta and beta2 each 0 or 1, every element sums the
// same products in the same order as BackwardFilter's, so each result is
// bit for bit what BackwardFilter gives.
func (o *Op) BackwardFilterPair(n int, x, dy, dw []float32, beta float32, dy2, dw2 []float32, beta2 float32) {
	o.denseDY("BackwardFilterPair")
	o.check("BackwardFilter", n, x, dy, dw)
	o.check("BackwardFilter", n, x, dy2, dw2)
	fl := o.FilterLen()
	if n == 0 {
		scale(dw[:fl], beta)
		scale(dw2[:fl], beta2)
		return
	}
	// C is [dw; dw2], scaled by their betas, and the GEMM adds to it.
	o.pair = grow(o.pair, 2*fl)
	c := o.pair
	copy(c, dw[:fl])
	scale(c[:fl], beta)
	copy(c[fl:], dw2[:fl])
	scale(c[fl:], beta2)
	o.backwardFilter(n, x, c, 1, dy, dy2)
	copy(dw, c[:fl])
	copy(dw2, c[fl:])
}

func scale(v []float32, beta float32) {
	if beta == 1 {
		return
	}
	if beta == 0 {
		clear(v)
		return
	}
	for i := range v {
		v[i] *= beta
	}
}
