package conv

import (
	"fmt"

	"github.com/untied-ml/untied/core/gemm"
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

// Op runs convolutions of one Shape. Each pass lays a group of images side
// by side as one matrix and makes one large GEMM of it, which the engine
// runs at a far higher rate than one small GEMM per image:
//
//	forward:        Y[K, G·P]   = W[K, C·KH·KW] · COL[C·KH·KW, G·P]
//	backward-data:  dCOL        = Wᵀ · dY,  then col2im per image
//	backward-filter: dW        += dY · COLᵀ
//
// with P = OutH·OutW and COL the im2col of the group. Y and dY are gathered
// from and scattered to NCHW per image. Its buffers are reused, so one Op
// must not be used by two goroutines at once.
//
// When a batch fits one group, Forward and BackwardFilter reuse the im2col
// of the last Forward over the same input slice, as an autograd tape
// would: a caller that rewrites an input in place calls Forget first (the
// nn layers do on every Forward of theirs). Every other lowering forgets
// it too.
type Op struct {
	Shape
	col  []float32 // im2col of a group: [C·KH·KW, G·P]
	dcol []float32 // backward-data's column gradient, same shape
	mat  []float32 // output-shaped matrix of a group: [K, G·P]

	lowered  *float32 // &x[0] of the input whose im2col Forward left in col
	loweredN int      // and its batch size

	task imageTask // the per-image loop in progress, reused by every pass
}

// New returns an Op for s, or an error if s is not a valid geometry.
func New(s Shape) (*Op, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &Op{Shape: s}, nil
}

// maxGroupFloats bounds the im2col buffer of one group (64 MiB).
const maxGroupFloats = 16 << 20

// group returns how many images go into one GEMM.
func (o *Op) group(n int) int {
	per := o.C * o.KH * o.KW * o.OutH() * o.OutW()
	return max(1, min(n, maxGroupFloats/max(per, 1)))
}

func (o *Op) buffers(g int) (col, mat []float32) {
	ckk, p := o.C*o.KH*o.KW, o.OutH()*o.OutW()
	o.col = grow(o.col, ckk*g*p)
	o.mat = grow(o.mat, o.K*g*p)
	return o.col[:ckk*g*p], o.mat[:o.K*g*p]
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

func (o *Op) check(name string, n int, bufs ...[]float32) {
	ins, outs := o.C*o.H*o.W, o.K*o.OutH()*o.OutW()
	lens := map[string][3]int{
		"Forward":        {n * ins, o.FilterLen(), n * outs},
		"BackwardData":   {n * outs, o.FilterLen(), n * ins},
		"BackwardFilter": {n * ins, n * outs, o.FilterLen()},
	}[name]
	for i, b := range bufs {
		if len(b) < lens[i] {
			panic(fmt.Sprintf("conv: %s %+v batch %d: argument %d has %d elements, want %d", name, o.Shape, n, i, len(b), lens[i]))
		}
	}
}

// Forget drops the remembered im2col: call it when an input slice is
// about to be passed again with new values.
func (o *Op) Forget() { o.lowered = nil }

// remembers reports whether col holds the im2col of the whole batch x.
func (o *Op) remembers(x []float32, n, g int) bool {
	return g == n && len(x) > 0 && o.lowered == &x[0] && o.loweredN == n
}

// lower fills col with the im2col of images [i0, i0+g) of x, side by side.
// With remember (Forward), a single-group batch is recorded for
// BackwardFilter; otherwise the record is dropped.
func (o *Op) lower(x, col []float32, i0, g int, remember bool) {
	o.lowered = nil
	if remember && i0 == 0 && len(x) > 0 {
		defer func() { o.lowered, o.loweredN = &x[0], g }()
	}
	o.perImage(taskIm2col, x, col, i0, g)
}

// Forward sets y = conv(x, w) for a batch of n images. x is [n,C,H,W], w is
// [K,C,KH,KW], y is [n,K,OutH,OutW]. As loops:
//
//	y[i,k,oh,ow] = Σ_{c,kh,kw} w[k,c,kh,kw]·x[i,c,oh·S−P+kh,ow·S−P+kw]   (x = 0 outside)
func (o *Op) Forward(n int, x, w, y []float32) {
	o.check("Forward", n, x, w, y)
	p, ckk, g := o.OutH()*o.OutW(), o.C*o.KH*o.KW, o.group(n)
	for i0 := 0; i0 < n; i0 += g {
		gi := min(g, n-i0)
		col, mat := o.buffers(gi)
		if !o.remembers(x, n, gi) {
			o.lower(x, col, i0, gi, gi == n)
		}
		gemm.Sgemm(false, false, o.K, gi*p, ckk, 1, w, ckk, col, gi*p, 0, mat, gi*p)
		o.scatter(mat, y, i0, gi)
	}
}

// BackwardData sets dx = conv_transpose(dy, w): the gradient of Forward with
// respect to its input when w is the forward filter, or the feedback route's
// input gradient when w is B. As loops:
//
//	dx[i,c,h,v] = Σ_{k,kh,kw: h = oh·S−P+kh, v = ow·S−P+kw} w[k,c,kh,kw]·dy[i,k,oh,ow]
func (o *Op) BackwardData(n int, dy, w, dx []float32) {
	o.check("BackwardData", n, dy, w, dx)
	p, ckk, g := o.OutH()*o.OutW(), o.C*o.KH*o.KW, o.group(n)
	for i0 := 0; i0 < n; i0 += g {
		gi := min(g, n-i0)
		_, mat := o.buffers(gi)
		o.dcol = grow(o.dcol, len(o.col))
		col := o.dcol
		o.gather(dy, mat, i0, gi)
		gemm.Sgemm(true, false, ckk, gi*p, o.K, 1, w, ckk, mat, gi*p, 0, col, gi*p)
		o.perImage(taskCol2im, col, dx, i0, gi)
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
	o.check("BackwardFilter", n, x, dy, dw)
	if n == 0 {
		scale(dw[:o.FilterLen()], beta)
		return
	}
	p, ckk, g := o.OutH()*o.OutW(), o.C*o.KH*o.KW, o.group(n)
	for i0 := 0; i0 < n; i0 += g {
		gi := min(g, n-i0)
		col, mat := o.buffers(gi)
		if !o.remembers(x, n, gi) {
			o.lower(x, col, i0, gi, false)
		}
		o.gather(dy, mat, i0, gi)
		gemm.Sgemm(false, true, o.K, ckk, gi*p, 1, mat, gi*p, col, gi*p, beta, dw, ckk)
		beta = 1
	}
}

func scale(v []float32, beta float32) {
	if beta == 0 {
		clear(v)
		return
	}
	for i := range v {
		v[i] *= beta
	}
}
