package align

import (
	"math"
	"math/rand/v2"

	"github.com/untied-ml/untied/core/nn"
)

// This file is the float64 reference of docs/rules.md §2: the layer maps and
// every primitive's R and closed-form gradient as plain loops, written
// without the code under test.

const (
	u32 = 0x1p-24 // unit roundoff of float32
	u64 = 0x1p-53 // unit roundoff of float64
)

// geom is a dense layer (Dense true: x [N, In], W [Out, In]) or a conv
// layer (x [N, In, H, W], W [Out, In, K, K], stride S, padding P).
type geom struct {
	Dense         bool
	N, In, Out    int
	H, W, K, S, P int
}

func (g geom) oh() int { return (g.H+2*g.P-g.K)/g.S + 1 }
func (g geom) ow() int { return (g.W+2*g.P-g.K)/g.S + 1 }

func (g geom) xLen() int {
	if g.Dense {
		return g.N * g.In
	}
	return g.N * g.In * g.H * g.W
}

func (g geom) yLen() int {
	if g.Dense {
		return g.N * g.Out
	}
	return g.N * g.Out * g.oh() * g.ow()
}

func (g geom) wLen() int {
	if g.Dense {
		return g.Out * g.In
	}
	return g.Out * g.In * g.K * g.K
}

// fwdK is the length of one output's dot product in Apply, bwdK a bound on
// the number of terms of one input element in Transpose, filtK the length
// of one weight's sum in Filter: the k of the error model k·u·Σ|aᵢbᵢ|.
func (g geom) fwdK() int {
	if g.Dense {
		return g.In
	}
	return g.In * g.K * g.K
}

func (g geom) bwdK() int {
	if g.Dense {
		return g.Out
	}
	return g.Out * g.K * g.K
}

func (g geom) filtK() int {
	if g.Dense {
		return g.N
	}
	return g.N * g.oh() * g.ow()
}

// layer builds the nn layer of g with He-initialised W and B.
func (g geom) layer(rng *rand.Rand) nn.Untied {
	if g.Dense {
		return nn.NewDense("d", g.In, g.Out, false, rng)
	}
	return nn.NewConv2D("c", g.In, g.Out, g.K, g.S, g.P, false, rng)
}

func (g geom) xShape() []int {
	if g.Dense {
		return []int{g.N, g.In}
	}
	return []int{g.N, g.In, g.H, g.W}
}

// apply is Apply(x, w): dense y[i,o] = Σ_j x[i,j]·w[o,j]; conv
// y[i,k,a,b] = Σ_{c,p,q} w[k,c,p,q]·x[i,c,a·S−P+p,b·S−P+q].
func (g geom) apply(x, w []float64) []float64 {
	y := make([]float64, g.yLen())
	if g.Dense {
		for i := 0; i < g.N; i++ {
			for o := 0; o < g.Out; o++ {
				var s float64
				for j := 0; j < g.In; j++ {
					s += x[i*g.In+j] * w[o*g.In+j]
				}
				y[i*g.Out+o] = s
			}
		}
		return y
	}
	oh, ow := g.oh(), g.ow()
	for i := 0; i < g.N; i++ {
		for k := 0; k < g.Out; k++ {
			for a := 0; a < oh; a++ {
				for b := 0; b < ow; b++ {
					var s float64
					for c := 0; c < g.In; c++ {
						for p := 0; p < g.K; p++ {
							for q := 0; q < g.K; q++ {
								h, v := a*g.S-g.P+p, b*g.S-g.P+q
								if h < 0 || h >= g.H || v < 0 || v >= g.W {
									continue
								}
								s += w[((k*g.In+c)*g.K+p)*g.K+q] * x[((i*g.In+c)*g.H+h)*g.W+v]
							}
						}
					}
					y[((i*g.Out+k)*oh+a)*ow+b] = s
				}
			}
		}
	}
	return y
}

// transpose is the adjoint of apply in x: dense dx = dy·w; conv scatters
// dy[i,k,a,b]·w[k,c,p,q] into dx[i,c,a·S−P+p,b·S−P+q].
func (g geom) transpose(dy, w []float64) []float64 {
	dx := make([]float64, g.xLen())
	if g.Dense {
		for i := 0; i < g.N; i++ {
			for j := 0; j < g.In; j++ {
				var s float64
				for o := 0; o < g.Out; o++ {
					s += dy[i*g.Out+o] * w[o*g.In+j]
				}
				dx[i*g.In+j] = s
			}
		}
		return dx
	}
	oh, ow := g.oh(), g.ow()
	for i := 0; i < g.N; i++ {
		for k := 0; k < g.Out; k++ {
			for a := 0; a < oh; a++ {
				for b := 0; b < ow; b++ {
					d := dy[((i*g.Out+k)*oh+a)*ow+b]
					for c := 0; c < g.In; c++ {
						for p := 0; p < g.K; p++ {
							for q := 0; q < g.K; q++ {
								h, v := a*g.S-g.P+p, b*g.S-g.P+q
								if h < 0 || h >= g.H || v < 0 || v >= g.W {
									continue
								}
								dx[((i*g.In+c)*g.H+h)*g.W+v] += d * w[((k*g.In+c)*g.K+p)*g.K+q]
							}
						}
					}
				}
			}
		}
	}
	return dx
}

// filter is the adjoint of apply in w: dense dw = dyᵀ·x; conv
// dw[k,c,p,q] = Σ_{i,a,b} dy[i,k,a,b]·x[i,c,a·S−P+p,b·S−P+q].
func (g geom) filter(x, dy []float64) []float64 {
	dw := make([]float64, g.wLen())
	if g.Dense {
		for o := 0; o < g.Out; o++ {
			for j := 0; j < g.In; j++ {
				var s float64
				for i := 0; i < g.N; i++ {
					s += dy[i*g.Out+o] * x[i*g.In+j]
				}
				dw[o*g.In+j] = s
			}
		}
		return dw
	}
	oh, ow := g.oh(), g.ow()
	for k := 0; k < g.Out; k++ {
		for c := 0; c < g.In; c++ {
			for p := 0; p < g.K; p++ {
				for q := 0; q < g.K; q++ {
					var s float64
					for i := 0; i < g.N; i++ {
						for a := 0; a < oh; a++ {
							for b := 0; b < ow; b++ {
								h, v := a*g.S-g.P+p, b*g.S-g.P+q
								if h < 0 || h >= g.H || v < 0 || v >= g.W {
									continue
								}
								s += dy[((i*g.Out+k)*oh+a)*ow+b] * x[((i*g.In+c)*g.H+h)*g.W+v]
							}
						}
					}
					dw[((k*g.In+c)*g.K+p)*g.K+q] = s
				}
			}
		}
	}
	return dw
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func scaled(a float64, v []float64) []float64 {
	out := make([]float64, len(v))
	for i := range v {
		out[i] = a * v[i]
	}
	return out
}

// refR is R of primitive p (docs/rules.md §2, and NullBack).
func (g geom) refR(p Primitive, x, w, b []float64) float64 {
	n := float64(g.N)
	switch p {
	case Decay:
		return dot(b, b)
	case Self:
		return -dot(w, b)
	case Amp:
		return -dot(g.apply(x, w), g.apply(x, b)) / n
	case Null:
		rf := g.transpose(g.apply(x, w), b)
		return dot(rf, rf) / n
	case Sparse:
		pb := g.apply(x, b)
		return dot(pb, pb) / n
	case NullBack:
		rb := g.transpose(g.apply(x, b), w)
		return dot(rb, rb) / n
	}
	panic("unknown primitive")
}

// refGrad is the closed-form ∂R/∂B of the table.
func (g geom) refGrad(p Primitive, x, w, b []float64) []float64 {
	n := float64(g.N)
	switch p {
	case Decay:
		return scaled(2, b)
	case Self:
		return scaled(-1, w)
	case Amp:
		return scaled(-1/n, g.filter(x, g.apply(x, w)))
	case Null:
		pf := g.apply(x, w)
		return scaled(2/n, g.filter(g.transpose(pf, b), pf))
	case Sparse:
		return scaled(2/n, g.filter(x, g.apply(x, b)))
	case NullBack:
		rb := g.transpose(g.apply(x, b), w)
		return scaled(2/n, g.filter(x, g.apply(rb, w)))
	}
	panic("unknown primitive")
}

// chainK is the summed length of the float32 sums the code chains to
// compute p's gradient (gradK) and its value (valueK).
func (g geom) gradK(p Primitive) int {
	switch p {
	case Amp, Sparse:
		return g.fwdK() + g.filtK()
	case Null:
		return g.fwdK() + g.bwdK() + g.filtK()
	case NullBack:
		return 2*g.fwdK() + g.bwdK() + g.filtK()
	}
	return 0
}

func (g geom) valueK(p Primitive) int {
	switch p {
	case Amp, Sparse:
		return g.fwdK()
	case Null, NullBack:
		return g.fwdK() + g.bwdK()
	}
	return 0
}

func abs64(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Abs(x)
	}
	return out
}

func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
