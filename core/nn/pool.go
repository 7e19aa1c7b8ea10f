package nn

import (
	"fmt"
	"math"

	"github.com/untied-ml/untied/core/sched"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/core/vec"
)

// MaxPool takes the maximum over K×K windows with a stride and padding
// (padding never wins). ResNets use 3×3, stride 2, padding 1; LeNet 2×2/2.
// Image-channel planes are pooled in parallel, each by one goroutine.
type MaxPool struct {
	K, Stride, Pad int

	in      []int
	out, dx *tensor.Tensor
	argmax  []int32 // input index within the image-channel plane, per output
	loop    poolLoop
}

// NewMaxPool returns a k×k max-pool.
func NewMaxPool(k, stride, pad int) *MaxPool { return &MaxPool{K: k, Stride: stride, Pad: pad} }

func (p *MaxPool) outSize(h, w int) (int, int) {
	return (h+2*p.Pad-p.K)/p.Stride + 1, (w+2*p.Pad-p.K)/p.Stride + 1
}

// Forward returns the window maxima.
func (p *MaxPool) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	n, c, h, w := x.NCHW()
	oh, ow := p.outSize(h, w)
	if h+2*p.Pad < p.K || w+2*p.Pad < p.K || p.Pad >= p.K {
		panic(fmt.Sprintf("nn: max-pool %d/%d pad %d of a %dx%d input", p.K, p.Stride, p.Pad, h, w))
	}
	p.in = append(p.in[:0], x.Shape...)
	p.out = tensor.Ensure(p.out, n, c, oh, ow)
	if cap(p.argmax) < p.out.Len() {
		p.argmax = make([]int32, p.out.Len())
	}
	p.argmax = p.argmax[:p.out.Len()]
	p.loop.run(p, x.Data, p.out.Data, false)
	return p.out
}

// poolLoop runs a pass of a MaxPool over image-channel planes: forward
// from src (the input) to dst (the output), or backward from src (dy) to
// dst (dx).
type poolLoop struct {
	p        *MaxPool
	src, dst []float32
	backward bool
}

func (l *poolLoop) run(p *MaxPool, src, dst []float32, backward bool) {
	*l = poolLoop{p: p, src: src, dst: dst, backward: backward}
	sched.Parallel(p.in[0]*p.in[1], 1, l)
	*l = poolLoop{} // drop references to the tensors
}

// Range runs planes [i0, i1).
func (l *poolLoop) Range(i0, i1 int) {
	p := l.p
	h, w := p.in[2], p.in[3]
	oh, ow := p.outSize(h, w)
	for plane := i0; plane < i1; plane++ {
		image := plane * h * w    // the plane's offset in x or dx
		pooled := plane * oh * ow // in the output, dy and argmax
		arg := p.argmax[pooled : pooled+oh*ow]
		switch {
		case l.backward:
			dx := l.dst[image : image+h*w]
			clear(dx)
			for j, g := range l.src[pooled : pooled+oh*ow] {
				dx[arg[j]] += g
			}
		case p.K == 2 && p.Stride == 2 && p.Pad == 0:
			pool2x2(l.src[image:image+h*w], l.dst[pooled:pooled+oh*ow], arg, w)
		default:
			p.poolPlane(l.src[image:image+h*w], l.dst[pooled:pooled+oh*ow], arg, h, w)
		}
	}
}

// poolPlane pools one image-channel plane: the windows inside the image
// without a branch on the data (poolInner), those that reach into the
// padding by the definition (poolWindows).
func (p *MaxPool) poolPlane(src, dst []float32, arg []int32, h, w int) {
	oh, ow := p.outSize(h, w)
	// Outputs [first, yHi) and [first, xHi) read only inside the image.
	first := (p.Pad + p.Stride - 1) / p.Stride
	inside := func(size, n int) int { // outputs whose window ends inside size
		if size < p.K-p.Pad {
			return 0
		}
		return min(n, (size-p.K+p.Pad)/p.Stride+1)
	}
	yHi, xHi := inside(h, oh), inside(w, ow)
	for y := range oh {
		if y < first || y >= yHi {
			p.poolWindows(src, dst, arg, h, w, y, 0, ow)
			continue
		}
		p.poolWindows(src, dst, arg, h, w, y, 0, min(first, ow))
		if first < xHi {
			p.poolInner(src, dst, arg, h, w, y, first, xHi)
		}
		p.poolWindows(src, dst, arg, h, w, y, max(first, xHi), ow)
	}
}

// poolInner pools outputs [x0, x1) of row y, whose windows lie inside the
// image, comparing order keys under masks as pool2x2 does: the first of
// equal maxima wins, -0 and +0 alike, as in poolWindows (on data without
// NaN). 3×3 windows at stride 2 (the ImageNet ResNet stem's) go to
// vec.MaxPool3s2, sixteen at a time under AVX-512.
func (p *MaxPool) poolInner(src, dst []float32, arg []int32, h, w, y, x0, x1 int) {
	_, ow := p.outSize(h, w)
	top := y*p.Stride - p.Pad
	if p.K == 3 && p.Stride == 2 {
		vec.MaxPool3s2(dst[y*ow+x0:], arg[y*ow+x0:], src, w, top*w+x0*2-p.Pad, x1-x0)
		return
	}
	for xo := x0; xo < x1; xo++ {
		left := xo*p.Stride - p.Pad
		at := int64(top*w + left)
		best := vec.OrderKey(src[at])
		for kh := range p.K {
			row := (top+kh)*w + left
			for kw := range p.K {
				if kh == 0 && kw == 0 {
					continue
				}
				best, at = vec.KeepMax(best, at, vec.OrderKey(src[row+kw]), int64(row+kw))
			}
		}
		dst[y*ow+xo], arg[y*ow+xo] = src[at], int32(at)
	}
}

// poolWindows pools outputs [x0, x1) of row y, windows clipped to the
// image, the first of equal maxima winning: the definition, for any
// padding.
func (p *MaxPool) poolWindows(src, dst []float32, arg []int32, h, w, y, x0, x1 int) {
	_, ow := p.outSize(h, w)
	for xo := x0; xo < x1; xo++ {
		best, at := float32(math.Inf(-1)), int32(-1)
		for kh := 0; kh < p.K; kh++ {
			r := y*p.Stride - p.Pad + kh
			if r < 0 || r >= h {
				continue
			}
			for kw := 0; kw < p.K; kw++ {
				col := xo*p.Stride - p.Pad + kw
				if col < 0 || col >= w {
					continue
				}
				if v := src[r*w+col]; v > best || at < 0 {
					best, at = v, int32(r*w+col)
				}
			}
		}
		dst[y*ow+xo], arg[y*ow+xo] = best, at
	}
}

// pool2x2 is poolWindows for LeNet's pools, 2×2 with stride 2 and no
// padding. It compares order keys (vec.OrderKey) under a mask instead of
// branching on the data, which mispredicts on about half the candidates
// (LeNet's training step spent a fifth of its time so). Same maxima and
// winners as poolWindows, bit for bit, on data without NaN
// (TestMaxPoolPaths).
func pool2x2(src, dst []float32, arg []int32, w int) {
	ow := w / 2
	for y := range len(dst) / ow {
		top, bottom := 2*y*w, (2*y+1)*w
		row0, row1 := src[top:top+2*ow], src[bottom:bottom+2*ow]
		for xo := range ow {
			c := 2 * xo
			best, at := vec.OrderKey(row0[c]), int64(top+c)
			best, at = vec.KeepMax(best, at, vec.OrderKey(row0[c+1]), int64(top+c+1))
			best, at = vec.KeepMax(best, at, vec.OrderKey(row1[c]), int64(bottom+c))
			_, at = vec.KeepMax(best, at, vec.OrderKey(row1[c+1]), int64(bottom+c+1))
			dst[y*ow+xo], arg[y*ow+xo] = src[at], int32(at)
		}
	}
}

// Backward routes each output's gradient to the input that won its window.
func (p *MaxPool) Backward(dy *tensor.Tensor) *tensor.Tensor {
	p.dx = tensor.Ensure(p.dx, p.in...)
	p.loop.run(p, dy.Data, p.dx.Data, true)
	return p.dx
}

// Params returns nil.
func (p *MaxPool) Params() []*Param { return nil }

// GlobalAvgPool averages each channel over space: [N, C, H, W] → [N, C].
type GlobalAvgPool struct {
	in      []int
	out, dx *tensor.Tensor
}

// Forward returns the channel means.
func (g *GlobalAvgPool) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	n, c, h, w := x.NCHW()
	g.in = append(g.in[:0], x.Shape...)
	g.out = tensor.Ensure(g.out, n, c)
	hw := h * w
	for plane := 0; plane < n*c; plane++ {
		var s float32
		for _, v := range x.Data[plane*hw : (plane+1)*hw] {
			s += v
		}
		g.out.Data[plane] = s / float32(hw)
	}
	return g.out
}

// Backward spreads each gradient evenly over its channel.
func (g *GlobalAvgPool) Backward(dy *tensor.Tensor) *tensor.Tensor {
	g.dx = tensor.Ensure(g.dx, g.in...)
	hw := g.in[2] * g.in[3]
	for plane, v := range dy.Data[:dy.Len()] {
		d := g.dx.Data[plane*hw : (plane+1)*hw]
		s := v / float32(hw)
		for i := range d {
			d[i] = s
		}
	}
	return g.dx
}

// Params returns nil.
func (g *GlobalAvgPool) Params() []*Param { return nil }
