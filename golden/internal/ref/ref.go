// Package ref is the float64 reference of the layers in core/nn, written as
// the obvious loops and independent of core/: the golden tests check its
// analytic gradients against finite differences, then check the float32
// layers against it.
//
// Tensors are flat []float64 in row-major NCHW order with their dimensions
// passed explicitly. Every backward function takes the upstream gradient dy
// of a scalar loss and returns the gradient of that loss; none of them
// accumulates.
package ref

import "math"

// Abs returns |x| elementwise; applying a linear map to absolute values
// gives the Σ|terms| of the float32 error model.
func Abs(x []float64) []float64 {
	if x == nil {
		return nil // an absent bias stays absent
	}
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = math.Abs(v)
	}
	return out
}

// Dot is Σ a[i]·b[i].
func Dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// Dense returns y[i,o] = Σ_j x[i,j]·w[o,j] + bias[o] for x [n, in] and w
// [out, in]; bias may be nil.
func Dense(x, w, bias []float64, n, in, out int) []float64 {
	y := make([]float64, n*out)
	for i := 0; i < n; i++ {
		for o := 0; o < out; o++ {
			var s float64
			for j := 0; j < in; j++ {
				s += x[i*in+j] * w[o*in+j]
			}
			if bias != nil {
				s += bias[o]
			}
			y[i*out+o] = s
		}
	}
	return y
}

// DenseInput is the transposed map of Dense in x for the weight w:
// dx[i,j] = Σ_o dy[i,o]·w[o,j]. With w = W it is backprop's input gradient,
// with w = B the feedback route's.
func DenseInput(dy, w []float64, n, in, out int) []float64 {
	dx := make([]float64, n*in)
	for i := 0; i < n; i++ {
		for j := 0; j < in; j++ {
			var s float64
			for o := 0; o < out; o++ {
				s += dy[i*out+o] * w[o*in+j]
			}
			dx[i*in+j] = s
		}
	}
	return dx
}

// DenseFilter is the weight gradient dw[o,j] = Σ_i dy[i,o]·x[i,j].
func DenseFilter(x, dy []float64, n, in, out int) []float64 {
	dw := make([]float64, out*in)
	for o := 0; o < out; o++ {
		for j := 0; j < in; j++ {
			var s float64
			for i := 0; i < n; i++ {
				s += dy[i*out+o] * x[i*in+j]
			}
			dw[o*in+j] = s
		}
	}
	return dw
}

// BiasGrad is db[c] = Σ_{i,p} dy[i,c,p] for dy [n, c, hw] (hw = 1 for dense).
func BiasGrad(dy []float64, n, c, hw int) []float64 {
	db := make([]float64, c)
	for i := 0; i < n; i++ {
		for k := 0; k < c; k++ {
			for p := 0; p < hw; p++ {
				db[k] += dy[(i*c+k)*hw+p]
			}
		}
	}
	return db
}

// Conv is the geometry of a convolution: C input channels of H×W images, K
// output channels, KH×KW filters [K, C, KH, KW], one stride and zero padding
// on both axes.
type Conv struct {
	C, H, W, K, KH, KW, Stride, Pad int
}

// OutH is the output height.
func (g Conv) OutH() int { return (g.H+2*g.Pad-g.KH)/g.Stride + 1 }

// OutW is the output width.
func (g Conv) OutW() int { return (g.W+2*g.Pad-g.KW)/g.Stride + 1 }

// in returns the input index read by output (oh, ow) at tap (kh, kw) of
// image i, channel c, or -1 in the padding.
func (g Conv) in(i, c, oh, ow, kh, kw int) int {
	h, v := oh*g.Stride-g.Pad+kh, ow*g.Stride-g.Pad+kw
	if h < 0 || h >= g.H || v < 0 || v >= g.W {
		return -1
	}
	return ((i*g.C+c)*g.H+h)*g.W + v
}

// Forward returns y[i,k,oh,ow] = Σ_{c,kh,kw} w[k,c,kh,kw]·x[i,c,oh·S−P+kh,ow·S−P+kw]
// + bias[k] (x = 0 outside; bias may be nil).
func (g Conv) Forward(x, w, bias []float64, n int) []float64 {
	oh, ow := g.OutH(), g.OutW()
	y := make([]float64, n*g.K*oh*ow)
	for i := 0; i < n; i++ {
		for k := 0; k < g.K; k++ {
			for a := 0; a < oh; a++ {
				for b := 0; b < ow; b++ {
					var s float64
					for c := 0; c < g.C; c++ {
						for kh := 0; kh < g.KH; kh++ {
							for kw := 0; kw < g.KW; kw++ {
								if j := g.in(i, c, a, b, kh, kw); j >= 0 {
									s += w[((k*g.C+c)*g.KH+kh)*g.KW+kw] * x[j]
								}
							}
						}
					}
					if bias != nil {
						s += bias[k]
					}
					y[((i*g.K+k)*oh+a)*ow+b] = s
				}
			}
		}
	}
	return y
}

// Input is the transposed map of Forward in x for the weight w (the
// transposed convolution): dx[j] = Σ over every (output, tap) that reads
// input j of w[tap]·dy[output].
func (g Conv) Input(dy, w []float64, n int) []float64 {
	oh, ow := g.OutH(), g.OutW()
	dx := make([]float64, n*g.C*g.H*g.W)
	for i := 0; i < n; i++ {
		for k := 0; k < g.K; k++ {
			for a := 0; a < oh; a++ {
				for b := 0; b < ow; b++ {
					d := dy[((i*g.K+k)*oh+a)*ow+b]
					for c := 0; c < g.C; c++ {
						for kh := 0; kh < g.KH; kh++ {
							for kw := 0; kw < g.KW; kw++ {
								if j := g.in(i, c, a, b, kh, kw); j >= 0 {
									dx[j] += w[((k*g.C+c)*g.KH+kh)*g.KW+kw] * d
								}
							}
						}
					}
				}
			}
		}
	}
	return dx
}

// Filter is the weight gradient dw[k,c,kh,kw] = Σ_{i,oh,ow} dy[i,k,oh,ow]·x[i,c,oh·S−P+kh,ow·S−P+kw].
func (g Conv) Filter(x, dy []float64, n int) []float64 {
	oh, ow := g.OutH(), g.OutW()
	dw := make([]float64, g.K*g.C*g.KH*g.KW)
	for i := 0; i < n; i++ {
		for k := 0; k < g.K; k++ {
			for a := 0; a < oh; a++ {
				for b := 0; b < ow; b++ {
					d := dy[((i*g.K+k)*oh+a)*ow+b]
					for c := 0; c < g.C; c++ {
						for kh := 0; kh < g.KH; kh++ {
							for kw := 0; kw < g.KW; kw++ {
								if j := g.in(i, c, a, b, kh, kw); j >= 0 {
									dw[((k*g.C+c)*g.KH+kh)*g.KW+kw] += d * x[j]
								}
							}
						}
					}
				}
			}
		}
	}
	return dw
}
