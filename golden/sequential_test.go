package golden

// Layer 2b, composition: nn.Sequential of conv → ReLU → max-pool → Flatten
// → dense (LeNet's pattern) against the reference, with running error
// bounds: each layer's own γ_k·Σ|terms| plus the bound it inherits from
// its input, pushed through the layer's absolute-value map (ReLU and max
// are 1-Lipschitz; a linear map multiplies an input error e by |W|).

import (
	"math"
	"testing"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/golden/internal/ref"
)

func TestSequentialMatchesReference(t *testing.T) {
	const n, out = 2, 4
	g := ref.Conv{C: 2, H: 6, W: 6, K: 3, KH: 3, KW: 3, Stride: 1, Pad: 1}
	p := ref.Pool{N: n, C: 3, H: 6, W: 6, K: 2, Stride: 2, Pad: 0}
	flat := 3 * p.OutH() * p.OutW()
	r := newRand(2300)
	cv := nn.NewConv2D("conv", g.C, g.K, 3, 1, 1, true, r)
	d := nn.NewDense("fc", flat, out, true, r)
	bc, bd := normals(r, g.K), normals(r, out)
	setValue(cv.Bias.Value.Data, bc)
	setValue(d.Bias.Value.Data, bd)
	net := nn.NewSequential(cv, &nn.ReLU{}, nn.NewMaxPool(2, 2, 0), &nn.Flatten{}, d)
	x, dy := normals(r, n*g.C*g.H*g.W), normals(r, n*out)
	wc, bcv, wd, bdv := f64(cv.W.Value), f64(cv.B.Value), f64(d.W.Value), f64(d.B.Value)
	tf, td, tw := convTols(g, n)

	// Forward, with bounds.
	c := g.Forward(x, wc, bc, n)
	ec := scale(tf, g.Forward(ref.Abs(x), ref.Abs(wc), ref.Abs(bc), n))
	for j, v := range c {
		if math.Abs(v) <= ec[j] {
			t.Fatalf("conv output %d within its tolerance of the ReLU kink; pick another seed", j)
		}
	}
	a := ref.ReLU(c)
	h, arg := p.Forward(a)
	eh, _ := p.Forward(ec) // the largest input error of each window bounds the max's error
	y := ref.Dense(h, wd, bd, n, flat, out)
	ey := plus(scale(gamma(flat+1), ref.Dense(ref.Abs(h), ref.Abs(wd), ref.Abs(bd), n, flat, out)),
		ref.Dense(eh, ref.Abs(wd), nil, n, flat, out))
	// The winner of a window must not change under the forward error (ties
	// at 0, behind the ReLU, send no gradient and do not matter).
	if !winnersClear(p, a, 2*maxOf(ec)) {
		t.Fatalf("a pooling window's two largest entries are within the forward error; pick another seed")
	}

	for _, route := range routes {
		name := func(s string) string { return "sequential " + route.String() + " " + s }
		nn.ZeroGrad(net)
		nn.SetRoute(net, route)
		got := net.Forward(tensorOf(x, n, g.C, g.H, g.W), true)
		within(t, name("y"), got.Data, y, ey)
		dx := net.Backward(tensorOf(dy, n, out))

		td1, tc := bdv, bcv
		if route == nn.BackpropRoute {
			td1, tc = wd, wc
		}
		dh := ref.DenseInput(dy, td1, n, flat, out)
		edh := scale(gamma(out), ref.DenseInput(ref.Abs(dy), ref.Abs(td1), n, flat, out))
		da := p.Backward(dh, arg)
		eda := plus(p.Backward(edh, arg), scale(gamma(1), p.Backward(ref.Abs(dh), arg))) // 2×2/2 windows do not overlap: one addition to 0
		dc := ref.ReLUBackward(c, da)
		edc := ref.ReLUBackward(c, eda)
		within(t, name("dx"), dx.Data, g.Input(dc, tc, n),
			plus(scale(td, g.Input(ref.Abs(dc), ref.Abs(tc), n)), g.Input(edc, ref.Abs(tc), n)))
		within(t, name("fc dW"), d.W.Grad.Data, ref.DenseFilter(h, dy, n, flat, out),
			plus(scale(gamma(n+1), ref.DenseFilter(ref.Abs(h), ref.Abs(dy), n, flat, out)), ref.DenseFilter(eh, ref.Abs(dy), n, flat, out)))
		within(t, name("fc dbias"), d.Bias.Grad.Data, ref.BiasGrad(dy, n, out, 1), scale(gamma(n+1), ref.BiasGrad(ref.Abs(dy), n, out, 1)))
		hw := g.OutH() * g.OutW()
		within(t, name("conv dW"), cv.W.Grad.Data, g.Filter(x, dc, n),
			plus(scale(tw, g.Filter(ref.Abs(x), ref.Abs(dc), n)), g.Filter(ref.Abs(x), edc, n)))
		within(t, name("conv dbias"), cv.Bias.Grad.Data, ref.BiasGrad(dc, n, g.K, hw),
			plus(scale(tw, ref.BiasGrad(ref.Abs(dc), n, g.K, hw)), ref.BiasGrad(edc, n, g.K, hw)))
		checkZero(t, name("conv dB"), cv.B.Grad.Data)
		checkZero(t, name("fc dB"), d.B.Grad.Data)
	}
}

func maxOf(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	return m
}

// winnersClear reports whether, in every window of p over a whose maximum
// is positive, the maximum exceeds every other entry by more than margin.
func winnersClear(p ref.Pool, a []float64, margin float64) bool {
	for plane := 0; plane < p.N*p.C; plane++ {
		for oh := 0; oh < p.OutH(); oh++ {
			for ow := 0; ow < p.OutW(); ow++ {
				var vals []float64
				for kh := 0; kh < p.K; kh++ {
					for kw := 0; kw < p.K; kw++ {
						h, v := oh*p.Stride-p.Pad+kh, ow*p.Stride-p.Pad+kw
						if h >= 0 && h < p.H && v >= 0 && v < p.W {
							vals = append(vals, a[(plane*p.H+h)*p.W+v])
						}
					}
				}
				top, second := math.Inf(-1), math.Inf(-1)
				for _, v := range vals {
					if v > top {
						top, second = v, top
					} else if v > second {
						second = v
					}
				}
				if top > 0 && top-second <= margin {
					return false
				}
			}
		}
	}
	return true
}
