package golden

// Layer 2b, dense and conv: the float32 layers against the float64
// reference, forward, input gradient on both routes (backprop: the
// transposed map with W; feedback: the same map with B) and parameter
// gradients. Tolerances are γ_k·(the same map applied to absolute values),
// with k the longest chain of roundings in the float32 computation of one
// output (see gamma).

import (
	"testing"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/golden/internal/ref"
)

var routes = []nn.Route{nn.BackpropRoute, nn.FeedbackRoute}

// zeroTol is the tolerance of a value computed without rounding (a copy,
// a selection, a masked pass-through): none.
func zeroTol(n int) []float64 { return make([]float64, n) }

// checkZero reports a gradient that is not exactly zero.
func checkZero(t *testing.T, what string, g []float32) {
	t.Helper()
	for i, v := range g {
		if v != 0 {
			t.Errorf("%s[%d] = %v, want 0", what, i, v)
			return
		}
	}
}

func TestDenseMatchesReference(t *testing.T) {
	cases := []struct {
		n, in, out int
		bias       bool
	}{{3, 5, 4, true}, {2, 7, 3, false}, {1, 1, 1, true}, {4, 33, 10, true}}
	for ci, c := range cases {
		r := newRand(1000 + uint64(ci))
		d := nn.NewDense("d", c.in, c.out, c.bias, r)
		var b []float64
		if c.bias {
			b = normals(r, c.out)
			setValue(d.Bias.Value.Data, b)
		}
		w, fb := f64(d.W.Value), f64(d.B.Value)
		x, dy := normals(r, c.n*c.in), normals(r, c.n*c.out)
		for _, route := range routes {
			name := func(s string) string { return "dense " + route.String() + " " + s }
			nn.ZeroGrad(d)
			d.SetRoute(route)
			// y: a length-in dot product, then the bias: γ_{in+1}.
			y := d.Forward(tensorOf(x, c.n, c.in), true)
			within(t, name("y"), y.Data, ref.Dense(x, w, b, c.n, c.in, c.out),
				scale(gamma(c.in+1), ref.Dense(ref.Abs(x), ref.Abs(w), ref.Abs(b), c.n, c.in, c.out)))
			dx := d.Backward(tensorOf(dy, c.n, c.out))
			tw := fb
			if route == nn.BackpropRoute {
				tw = w
			}
			// dx = dy·W or dy·B: a length-out dot product.
			within(t, name("dx"), dx.Data, ref.DenseInput(dy, tw, c.n, c.in, c.out),
				scale(gamma(c.out), ref.DenseInput(ref.Abs(dy), ref.Abs(tw), c.n, c.in, c.out)))
			if !dx.SameShape(c.n, c.in) {
				t.Errorf("%s: shape %v, want [%d %d]", name("dx"), dx.Shape, c.n, c.in)
			}
			// dW = dyᵀ·x: a length-n dot product added to the zeroed gradient.
			within(t, name("dW"), d.W.Grad.Data, ref.DenseFilter(x, dy, c.n, c.in, c.out),
				scale(gamma(c.n+1), ref.DenseFilter(ref.Abs(x), ref.Abs(dy), c.n, c.in, c.out)))
			if c.bias {
				within(t, name("dbias"), d.Bias.Grad.Data, ref.BiasGrad(dy, c.n, c.out, 1),
					scale(gamma(c.n+1), ref.BiasGrad(ref.Abs(dy), c.n, c.out, 1)))
			}
			// B gets no task gradient (rules §1).
			checkZero(t, name("dB"), d.B.Grad.Data)
		}
	}
}

// convTols returns the error-model tolerances of a Conv2D of geometry g on
// a batch of n: forward, input gradient through w, filter gradient.
//
//   - forward: a length C·KH·KW dot product (zeros from the padding
//     included), then the bias: γ_{C·KH·KW+1};
//   - input gradient: a length-K dot product per column entry, then col2im
//     adds at most KH·KW of them per pixel: γ_{K+KH·KW};
//   - filter gradient: n·OH·OW products summed per image by the gemm, the
//     images of a worker accumulated, at most n worker partials added into
//     the zeroed gradient: γ_{n·OH·OW+n+1}; the bias gradient likewise.
func convTols(g ref.Conv, n int) (fwd, data, filter float64) {
	return gamma(g.C*g.KH*g.KW + 1), gamma(g.K + g.KH*g.KW), gamma(n*g.OutH()*g.OutW() + n + 1)
}

func TestConv2DMatchesReference(t *testing.T) {
	const n = 3 // 3 images: several conv workers on a multi-core machine
	for ci, c := range convCases {
		t.Run(c.name, func(t *testing.T) {
			g := c.g
			r := newRand(1100 + uint64(ci))
			cv := nn.NewConv2D("c", g.C, g.K, g.KH, g.Stride, g.Pad, c.bias, r)
			var b []float64
			if c.bias {
				b = normals(r, g.K)
				setValue(cv.Bias.Value.Data, b)
			}
			w, fb := f64(cv.W.Value), f64(cv.B.Value)
			oh, ow := g.OutH(), g.OutW()
			x, dy := normals(r, n*g.C*g.H*g.W), normals(r, n*g.K*oh*ow)
			tf, td, tw := convTols(g, n)
			for _, route := range routes {
				name := func(s string) string { return "conv " + route.String() + " " + s }
				nn.ZeroGrad(cv)
				cv.SetRoute(route)
				y := cv.Forward(tensorOf(x, n, g.C, g.H, g.W), true)
				if !y.SameShape(n, g.K, oh, ow) {
					t.Fatalf("%s: shape %v, want [%d %d %d %d]", name("y"), y.Shape, n, g.K, oh, ow)
				}
				within(t, name("y"), y.Data, g.Forward(x, w, b, n),
					scale(tf, g.Forward(ref.Abs(x), ref.Abs(w), ref.Abs(b), n)))
				dx := cv.Backward(tensorOf(dy, n, g.K, oh, ow))
				tr := fb
				if route == nn.BackpropRoute {
					tr = w
				}
				within(t, name("dx"), dx.Data, g.Input(dy, tr, n), scale(td, g.Input(ref.Abs(dy), ref.Abs(tr), n)))
				within(t, name("dW"), cv.W.Grad.Data, g.Filter(x, dy, n), scale(tw, g.Filter(ref.Abs(x), ref.Abs(dy), n)))
				if c.bias {
					within(t, name("dbias"), cv.Bias.Grad.Data, ref.BiasGrad(dy, n, g.K, oh*ow),
						scale(tw, ref.BiasGrad(ref.Abs(dy), n, g.K, oh*ow)))
				}
				checkZero(t, name("dB"), cv.B.Grad.Data)
			}
		})
	}
}

// TestBackwardAccumulates checks that Backward adds into Param.Grad (two
// passes give twice the reference, within twice the one-pass tolerance
// plus the rounding of the second addition) and that ZeroGrad clears it.
func TestBackwardAccumulates(t *testing.T) {
	const n = 2
	g := ref.Conv{C: 2, H: 5, W: 5, K: 3, KH: 3, KW: 3, Stride: 2, Pad: 1}
	r := newRand(1200)
	cv := nn.NewConv2D("c", g.C, g.K, g.KH, g.Stride, g.Pad, true, r)
	x, dy := normals(r, n*g.C*g.H*g.W), normals(r, n*g.K*g.OutH()*g.OutW())
	xt, dyt := tensorOf(x, n, g.C, g.H, g.W), tensorOf(dy, n, g.K, g.OutH(), g.OutW())
	for range 2 {
		cv.Forward(xt, true)
		cv.Backward(dyt)
	}
	_, _, tw := convTols(g, n)
	tw = 2*tw + gamma(1)
	within(t, "2× dW", cv.W.Grad.Data, scale(2, g.Filter(x, dy, n)), scale(2*tw, g.Filter(ref.Abs(x), ref.Abs(dy), n)))
	within(t, "2× dbias", cv.Bias.Grad.Data, scale(2, ref.BiasGrad(dy, n, g.K, g.OutH()*g.OutW())),
		scale(2*tw, ref.BiasGrad(ref.Abs(dy), n, g.K, g.OutH()*g.OutW())))
	nn.ZeroGrad(cv)
	for _, p := range cv.Params() {
		checkZero(t, "zeroed "+p.Name, p.Grad.Data)
	}
}
