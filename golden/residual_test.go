package golden

// Layer 2b, residual blocks: nn.Residual with conv branches and shortcuts,
// v1 (post-activation) and v2 (pre-activation) forms, projection and
// identity shortcuts, against the float64 reference composed by hand.

import (
	"math"
	"testing"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/golden/internal/ref"
)

func TestResidualMatchesReference(t *testing.T) {
	const n = 2
	cases := []struct {
		name     string
		c, k, s  int // channels in, out, stride
		v2, proj bool
		hw       int
	}{
		{"v1-projection", 2, 3, 1, false, true, 5},
		{"v1-projection-stride2", 2, 3, 2, false, true, 6},
		{"v1-identity", 3, 3, 1, false, false, 4},
		{"v2-projection", 2, 3, 1, true, true, 5},
		{"v2-identity", 3, 3, 1, true, false, 4},
	}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRand(1900 + uint64(ci))
			g3 := ref.Conv{C: c.c, H: c.hw, W: c.hw, K: c.k, KH: 3, KW: 3, Stride: c.s, Pad: 1}
			g1 := ref.Conv{C: c.c, H: c.hw, W: c.hw, K: c.k, KH: 1, KW: 1, Stride: c.s, Pad: 0}
			conv3 := nn.NewConv2D("branch", c.c, c.k, 3, c.s, 1, false, r)
			block := &nn.Residual{Branch: nn.NewSequential(conv3), PostReLU: !c.v2}
			var conv1 *nn.Conv2D
			if c.proj {
				conv1 = nn.NewConv2D("proj", c.c, c.k, 1, c.s, 0, false, r)
				block.Shortcut = conv1
			}
			if c.v2 {
				block.Pre = &nn.ReLU{} // exact, so the block's own arithmetic is what is measured
			}
			oh := g3.OutH()
			x, dy := normals(r, n*c.c*c.hw*c.hw), normals(r, n*c.k*oh*oh)

			// Reference: h = Pre(x); s = b + shortcut; y = ReLU(s) in v1.
			h := x
			if c.v2 {
				h = ref.ReLU(x)
			}
			w3 := f64(conv3.W.Value)
			b := g3.Forward(h, w3, nil, n)
			tf3, td3, tw3 := convTols(g3, n)
			_, td1, tw1 := convTols(g1, n)
			// Forward error: the branch's and the shortcut's own errors, then
			// one rounding of the sum; ReLU is 1-Lipschitz.
			var ys []float64
			yt := plus(scale(tf3, g3.Forward(ref.Abs(h), ref.Abs(w3), nil, n)), scale(gamma(1), ref.Abs(b)))
			var w1 []float64
			if c.proj {
				w1 = f64(conv1.W.Value)
				sc := g1.Forward(h, w1, nil, n)
				ys = ref.Add(b, sc)
				// A 1×1 conv: one-term "dot products" over C channels.
				yt = plus(yt, scale(gamma(c.c+1), g1.Forward(ref.Abs(h), ref.Abs(w1), nil, n)), scale(gamma(1), ref.Abs(sc)))
			} else {
				ys = ref.Add(b, x)
				yt = plus(yt, scale(gamma(1), ref.Abs(x)))
			}
			for j, v := range ys {
				if !c.v2 && math.Abs(v) <= yt[j] {
					t.Fatalf("pre-activation %d within its tolerance of the ReLU kink; pick another seed", j)
				}
			}
			wy, dr := ys, dy
			if !c.v2 {
				wy, dr = ref.ReLU(ys), ref.ReLUBackward(ys, dy)
			}

			for _, route := range routes {
				name := func(s string) string { return c.name + " " + route.String() + " " + s }
				nn.ZeroGrad(block)
				nn.SetRoute(block, route)
				y := block.Forward(tensorOf(x, n, c.c, c.hw, c.hw), true)
				within(t, name("y"), y.Data, wy, yt)
				dx := block.Backward(tensorOf(dy, n, c.k, oh, oh))

				t3 := f64(conv3.B.Value)
				if route == nn.BackpropRoute {
					t3 = w3
				}
				// dx = Pre'(dh_branch + dh_shortcut) or Pre'(dh_branch) + dr:
				// each path's own error, then one rounding of the sum (the
				// masks of Pre are exact and only shrink the bound).
				db := g3.Input(dr, t3, n)
				dxt := plus(scale(td3, g3.Input(ref.Abs(dr), ref.Abs(t3), n)), scale(gamma(1), ref.Abs(db)))
				var wdx []float64
				if c.proj {
					t1 := f64(conv1.B.Value)
					if route == nn.BackpropRoute {
						t1 = w1
					}
					ds := g1.Input(dr, t1, n)
					dxt = plus(dxt, scale(td1, g1.Input(ref.Abs(dr), ref.Abs(t1), n)), scale(gamma(1), ref.Abs(ds)))
					wdx = ref.Add(db, ds)
					if c.v2 {
						wdx = ref.ReLUBackward(x, wdx)
					}
				} else {
					if c.v2 {
						db = ref.ReLUBackward(x, db)
					}
					wdx = ref.Add(db, dr)
					dxt = plus(dxt, scale(gamma(1), ref.Abs(dr)))
				}
				within(t, name("dx"), dx.Data, wdx, dxt)
				within(t, name("branch dW"), conv3.W.Grad.Data, g3.Filter(h, dr, n), scale(tw3, g3.Filter(ref.Abs(h), ref.Abs(dr), n)))
				checkZero(t, name("branch dB"), conv3.B.Grad.Data)
				if c.proj {
					within(t, name("proj dW"), conv1.W.Grad.Data, g1.Filter(h, dr, n), scale(tw1, g1.Filter(ref.Abs(h), ref.Abs(dr), n)))
					checkZero(t, name("proj dB"), conv1.B.Grad.Data)
				}
			}
		})
	}
}
