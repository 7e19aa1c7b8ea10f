package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// direct is the definition of the three passes as plain float64 loops. It
// returns y, dx and dw together with the Σ|terms| of each output element,
// which scales the float32 error bound.
type direct struct {
	y, dx, dw          []float64
	yAbs, dxAbs, dwAbs []float64
}

func directConv(s Shape, n int, x, w, dy []float32) direct {
	oh, ow := s.OutH(), s.OutW()
	d := direct{
		y: make([]float64, n*s.K*oh*ow), yAbs: make([]float64, n*s.K*oh*ow),
		dx: make([]float64, n*s.C*s.H*s.W), dxAbs: make([]float64, n*s.C*s.H*s.W),
		dw: make([]float64, s.FilterLen()), dwAbs: make([]float64, s.FilterLen()),
	}
	for i := 0; i < n; i++ {
		for k := 0; k < s.K; k++ {
			for y := 0; y < oh; y++ {
				for xo := 0; xo < ow; xo++ {
					yi := ((i*s.K+k)*oh+y)*ow + xo
					for c := 0; c < s.C; c++ {
						for kh := 0; kh < s.KH; kh++ {
							for kw := 0; kw < s.KW; kw++ {
								h, v := y*s.Stride-s.Pad+kh, xo*s.Stride-s.Pad+kw
								if h < 0 || h >= s.H || v < 0 || v >= s.W {
									continue
								}
								xi := ((i*s.C+c)*s.H+h)*s.W + v
								wi := ((k*s.C+c)*s.KH+kh)*s.KW + kw
								t := float64(w[wi]) * float64(x[xi])
								d.y[yi] += t
								d.yAbs[yi] += math.Abs(t)
								t = float64(w[wi]) * float64(dy[yi])
								d.dx[xi] += t
								d.dxAbs[xi] += math.Abs(t)
								t = float64(x[xi]) * float64(dy[yi])
								d.dw[wi] += t
								d.dwAbs[wi] += math.Abs(t)
							}
						}
					}
				}
			}
		}
	}
	return d
}

func randn(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// within checks got against want with the float32 dot-product error bound
// k·2⁻²⁴·Σ|terms| (k the longest sum, plus a few roundings of the partials).
func within(t *testing.T, what string, got []float32, want, abs []float64, k int) {
	t.Helper()
	const u = 1.0 / (1 << 24)
	for i, w := range want {
		tol := float64(k+4) * u * abs[i]
		if d := math.Abs(float64(got[i]) - w); !(d <= tol) {
			t.Fatalf("%s[%d] = %v, want %v (tol %g)", what, i, got[i], w, tol)
		}
	}
}

var shapes = []Shape{
	{C: 3, H: 7, W: 6, K: 4, KH: 3, KW: 3, Stride: 1, Pad: 1},
	{C: 2, H: 8, W: 8, K: 5, KH: 3, KW: 3, Stride: 2, Pad: 1},
	{C: 4, H: 5, W: 5, K: 3, KH: 1, KW: 1, Stride: 1, Pad: 0},
	{C: 4, H: 7, W: 7, K: 6, KH: 1, KW: 1, Stride: 2, Pad: 0},
	{C: 1, H: 12, W: 11, K: 2, KH: 7, KW: 7, Stride: 2, Pad: 3},
	{C: 2, H: 9, W: 9, K: 3, KH: 5, KW: 5, Stride: 1, Pad: 0},
	{C: 3, H: 6, W: 5, K: 2, KH: 2, KW: 3, Stride: 3, Pad: 2},
	// Stride 1 with OutW = W (the shifted-plane lowering), OutH = H or not.
	{C: 2, H: 6, W: 5, K: 3, KH: 5, KW: 5, Stride: 1, Pad: 2},
	{C: 2, H: 4, W: 6, K: 3, KH: 1, KW: 3, Stride: 1, Pad: 1},
	{C: 2, H: 3, W: 4, K: 2, KH: 3, KW: 5, Stride: 1, Pad: 2},
	{C: 1, H: 5, W: 1, K: 2, KH: 3, KW: 1, Stride: 1, Pad: 0},
	{C: 2, H: 2, W: 2, K: 2, KH: 3, KW: 3, Stride: 1, Pad: 1},
	// One output position per image (LeNet's last conv), without and with padding.
	{C: 3, H: 5, W: 5, K: 4, KH: 5, KW: 5, Stride: 1, Pad: 0},
	{C: 2, H: 2, W: 2, K: 3, KH: 3, KW: 3, Stride: 2, Pad: 1},
	// A filter wider than the padded image: its last tap reads nothing at stride 2.
	{C: 2, H: 3, W: 2, K: 3, KH: 3, KW: 4, Stride: 2, Pad: 1},
	// The same at stride 1, an output narrower than the input: the last
	// taps read only the right padding, on the image's last row too.
	{C: 1, H: 20, W: 3, K: 1, KH: 1, KW: 7, Stride: 1, Pad: 2},
	{C: 2, H: 20, W: 3, K: 2, KH: 3, KW: 7, Stride: 1, Pad: 2},
}

func TestConvAgainstDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range shapes {
		for _, n := range []int{1, 3} {
			t.Run(fmt.Sprintf("%dx%dx%d_k%d_%dx%d_s%d_p%d_n%d", s.C, s.H, s.W, s.K, s.KH, s.KW, s.Stride, s.Pad, n), func(t *testing.T) {
				op, err := New(s)
				if err != nil {
					t.Fatal(err)
				}
				checkAgainstDirect(t, "", op, r, n)
			})
		}
	}
}

// checkAgainstDirect runs the three passes of op on random data for a batch
// of n and checks them against directConv.
func checkAgainstDirect(t *testing.T, what string, op *Op, r *rand.Rand, n int) {
	t.Helper()
	s := op.Shape
	x := randn(r, n*s.C*s.H*s.W)
	w := randn(r, s.FilterLen())
	dy := randn(r, n*s.K*s.OutH()*s.OutW())
	want := directConv(s, n, x, w, dy)
	y := randn(r, len(want.y)) // garbage: Forward overwrites
	op.Forward(n, x, w, y)
	within(t, what+"y", y, want.y, want.yAbs, s.C*s.KH*s.KW)
	dx := randn(r, len(want.dx))
	op.BackwardData(n, dy, w, dx)
	within(t, what+"dx", dx, want.dx, want.dxAbs, s.K*s.KH*s.KW)
	dw := randn(r, s.FilterLen())
	op.BackwardFilter(n, x, dy, dw, 0)
	within(t, what+"dw", dw, want.dw, want.dwAbs, n*s.OutH()*s.OutW())
	// beta = 1 accumulates: a second call doubles the gradient.
	op.BackwardFilter(n, x, dy, dw, 1)
	for i := range want.dw {
		want.dw[i] *= 2
		want.dwAbs[i] *= 2
	}
	within(t, what+"2dw", dw, want.dw, want.dwAbs, 2*n*s.OutH()*s.OutW())
}

func TestValidate(t *testing.T) {
	bad := []Shape{
		{C: 0, H: 4, W: 4, K: 1, KH: 1, KW: 1, Stride: 1},
		{C: 1, H: 4, W: 4, K: 1, KH: 3, KW: 3, Stride: 0},
		{C: 1, H: 2, W: 2, K: 1, KH: 5, KW: 5, Stride: 1},
		{C: 1, H: 4, W: 4, K: 1, KH: 3, KW: 3, Stride: 1, Pad: -1},
	}
	for _, s := range bad {
		if _, err := New(s); err == nil {
			t.Errorf("New(%+v) = nil error, want one", s)
		}
	}
}

// TestBackwardFilterReusesOnlyForwardsInput: BackwardFilter may reuse the
// lowering of the last Forward, but only for that same input slice.
func TestBackwardFilterReusesOnlyForwardsInput(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	s := shapes[0]
	op, _ := New(s)
	n := 2
	x1, x2 := randn(r, n*s.C*s.H*s.W), randn(r, n*s.C*s.H*s.W)
	w := randn(r, s.FilterLen())
	dy := randn(r, n*s.K*s.OutH()*s.OutW())
	y := make([]float32, len(dy))
	want := directConv(s, n, x2, w, dy)
	op.Forward(n, x1, w, y)
	dw := make([]float32, s.FilterLen())
	op.BackwardFilter(n, x2, dy, dw, 0)
	within(t, "dw(x2) after Forward(x1)", dw, want.dw, want.dwAbs, n*s.OutH()*s.OutW())
	op.Forward(n, x2, w, y)
	op.BackwardData(n, dy, w, make([]float32, len(x2))) // must not clobber the lowering
	op.BackwardFilter(n, x2, dy, dw, 0)
	within(t, "dw(x2) after Forward(x2)", dw, want.dw, want.dwAbs, n*s.OutH()*s.OutW())
	op.BackwardFilter(0, nil, nil, dw, 0)
	for i, v := range dw {
		if v != 0 {
			t.Fatalf("BackwardFilter(n=0, beta=0) left dw[%d] = %v", i, v)
		}
	}
}
