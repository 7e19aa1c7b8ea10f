package nn

import (
	"fmt"
	"math"

	"github.com/untied-ml/untied/core/tensor"
)

// MaxPool takes the maximum over K×K windows with a stride and padding
// (padding never wins). ResNets use 3×3, stride 2, padding 1; LeNet 2×2/2.
type MaxPool struct {
	K, Stride, Pad int

	in      []int
	out, dx *tensor.Tensor
	argmax  []int32 // input index within the image-channel plane, per output
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
	if oh < 1 || ow < 1 || p.Pad >= p.K {
		panic(fmt.Sprintf("nn: max-pool %d/%d pad %d of a %dx%d input", p.K, p.Stride, p.Pad, h, w))
	}
	p.in = append(p.in[:0], x.Shape...)
	p.out = tensor.Ensure(p.out, n, c, oh, ow)
	if cap(p.argmax) < p.out.Len() {
		p.argmax = make([]int32, p.out.Len())
	}
	p.argmax = p.argmax[:p.out.Len()]
	for plane := 0; plane < n*c; plane++ {
		src := x.Data[plane*h*w : (plane+1)*h*w]
		dst := p.out.Data[plane*oh*ow : (plane+1)*oh*ow]
		arg := p.argmax[plane*oh*ow : (plane+1)*oh*ow]
		for y := 0; y < oh; y++ {
			for xo := 0; xo < ow; xo++ {
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
	}
	return p.out
}

// Backward routes each output's gradient to the input that won its window.
func (p *MaxPool) Backward(dy *tensor.Tensor) *tensor.Tensor {
	n, c, h, w := p.in[0], p.in[1], p.in[2], p.in[3]
	p.dx = tensor.Ensure(p.dx, p.in...)
	p.dx.Zero()
	ohw := dy.Len() / (n * c)
	for plane := 0; plane < n*c; plane++ {
		dst := p.dx.Data[plane*h*w : (plane+1)*h*w]
		arg := p.argmax[plane*ohw : (plane+1)*ohw]
		for j, g := range dy.Data[plane*ohw : (plane+1)*ohw] {
			dst[arg[j]] += g
		}
	}
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
