package conv

import (
	"fmt"
	"runtime"
	"sync"

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

// Op runs convolutions of one Shape. It owns per-worker scratch buffers, so
// one Op must not be used by two goroutines at once.
type Op struct {
	Shape
	scratch [][]float32 // per worker: an im2col matrix, then a filter-gradient partial
}

// New returns an Op for s, or an error if s is not a valid geometry.
func New(s Shape) (*Op, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &Op{Shape: s}, nil
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

// Forward sets y = conv(x, w) for a batch of n images. x is [n,C,H,W], w is
// [K,C,KH,KW], y is [n,K,OutH,OutW]. As loops:
//
//	y[i,k,oh,ow] = Σ_{c,kh,kw} w[k,c,kh,kw]·x[i,c,oh·S−P+kh,ow·S−P+kw]   (x = 0 outside)
func (o *Op) Forward(n int, x, w, y []float32) {
	o.check("Forward", n, x, w, y)
	ins, ohw, ckk := o.C*o.H*o.W, o.OutH()*o.OutW(), o.C*o.KH*o.KW
	o.parallel(n, ckk*ohw, func(col []float32, i0, i1 int) {
		for i := i0; i < i1; i++ {
			xi, yi := x[i*ins:(i+1)*ins], y[i*o.K*ohw:(i+1)*o.K*ohw]
			if o.pointwise() {
				gemm.Sgemm(false, false, o.K, ohw, o.C, 1, w, o.C, xi, ohw, 0, yi, ohw)
				continue
			}
			o.im2col(xi, col)
			gemm.Sgemm(false, false, o.K, ohw, ckk, 1, w, ckk, col, ohw, 0, yi, ohw)
		}
	})
}

// BackwardData sets dx = conv_transpose(dy, w): the gradient of Forward with
// respect to its input when w is the forward filter, or the feedback route's
// input gradient when w is B. As loops:
//
//	dx[i,c,h,v] = Σ_{k,kh,kw: h = oh·S−P+kh, v = ow·S−P+kw} w[k,c,kh,kw]·dy[i,k,oh,ow]
func (o *Op) BackwardData(n int, dy, w, dx []float32) {
	o.check("BackwardData", n, dy, w, dx)
	ins, ohw, ckk := o.C*o.H*o.W, o.OutH()*o.OutW(), o.C*o.KH*o.KW
	o.parallel(n, ckk*ohw, func(col []float32, i0, i1 int) {
		for i := i0; i < i1; i++ {
			dyi, dxi := dy[i*o.K*ohw:(i+1)*o.K*ohw], dx[i*ins:(i+1)*ins]
			if o.pointwise() {
				gemm.Sgemm(true, false, o.C, ohw, o.K, 1, w, o.C, dyi, ohw, 0, dxi, ohw)
				continue
			}
			gemm.Sgemm(true, false, ckk, ohw, o.K, 1, w, ckk, dyi, ohw, 0, col, ohw)
			o.col2im(col, dxi)
		}
	})
}

// BackwardFilter sets dw = beta·dw + Σ_i corr(x_i, dy_i), the gradient of
// Σ dy·Forward(x, w) with respect to w. As loops:
//
//	dw[k,c,kh,kw] = beta·dw[k,c,kh,kw] + Σ_{i,oh,ow} dy[i,k,oh,ow]·x[i,c,oh·S−P+kh,ow·S−P+kw]
//
// Images are split into one contiguous range per worker; the partial sums are
// added in worker order, so results are fixed for a fixed GOMAXPROCS.
func (o *Op) BackwardFilter(n int, x, dy, dw []float32, beta float32) {
	o.check("BackwardFilter", n, x, dy, dw)
	ins, ohw, ckk := o.C*o.H*o.W, o.OutH()*o.OutW(), o.C*o.KH*o.KW
	fl := o.FilterLen()
	col0 := ckk * ohw
	if o.pointwise() {
		col0 = 0
	}
	workers := o.parallel(n, col0+fl, func(buf []float32, i0, i1 int) {
		col, part := buf[:col0], buf[col0:col0+fl]
		clear(part)
		for i := i0; i < i1; i++ {
			xi, dyi := x[i*ins:(i+1)*ins], dy[i*o.K*ohw:(i+1)*o.K*ohw]
			if o.pointwise() {
				gemm.Sgemm(false, true, o.K, o.C, ohw, 1, dyi, ohw, xi, ohw, 1, part, o.C)
				continue
			}
			o.im2col(xi, col)
			gemm.Sgemm(false, true, o.K, ckk, ohw, 1, dyi, ohw, col, ohw, 1, part, ckk)
		}
	})
	dw = dw[:fl]
	if beta == 0 {
		clear(dw)
	} else if beta != 1 {
		for j := range dw {
			dw[j] *= beta
		}
	}
	for wk := 0; wk < workers; wk++ {
		part := o.scratch[wk][col0 : col0+fl]
		for j, v := range part {
			dw[j] += v
		}
	}
}

// parallel splits images [0,n) into contiguous ranges, one per worker, and
// runs f on each with that worker's scratch buffer of at least size floats.
// It returns the number of workers used.
func (o *Op) parallel(n, size int, f func(scratch []float32, i0, i1 int)) int {
	workers := max(1, min(runtime.GOMAXPROCS(0), n))
	for len(o.scratch) < workers {
		o.scratch = append(o.scratch, nil)
	}
	for wk := 0; wk < workers; wk++ {
		if cap(o.scratch[wk]) < size {
			o.scratch[wk] = make([]float32, size)
		}
		o.scratch[wk] = o.scratch[wk][:cap(o.scratch[wk])]
	}
	if workers == 1 {
		f(o.scratch[0], 0, n)
		return 1
	}
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	used := 0
	for wk := 0; wk*chunk < n; wk++ {
		i0, i1, buf := wk*chunk, min((wk+1)*chunk, n), o.scratch[wk]
		used++
		wg.Go(func() { f(buf, i0, i1) })
	}
	wg.Wait()
	return used
}
