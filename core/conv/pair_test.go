package conv

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestPairsMatchSingles: ForwardPair and BackwardFilterPair give, bit for
// bit, what two Forward or BackwardFilter calls give (the same products
// summed in the same order; see their doc comments), for every beta of 0
// or 1.
func TestPairsMatchSingles(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	// Beyond the small shapes, one whose GEMMs have several k blocks and
	// chunks, and K not a multiple of any micro-tile's rows.
	big := Shape{C: 12, H: 20, W: 20, K: 13, KH: 3, KW: 3, Stride: 1, Pad: 1}
	for _, s := range append(shapes[:len(shapes):len(shapes)], big) {
		for _, n := range []int{1, 3, 9} {
			t.Run(fmt.Sprintf("%dx%dx%d_k%d_%dx%d_s%d_p%d_n%d", s.C, s.H, s.W, s.K, s.KH, s.KW, s.Stride, s.Pad, n), func(t *testing.T) {
				op, err := New(s)
				if err != nil {
					t.Fatal(err)
				}
				outs := n * s.K * s.OutH() * s.OutW()
				x := randn(r, n*s.C*s.H*s.W)
				w, w2 := randn(r, s.FilterLen()), randn(r, s.FilterLen())
				y, y2 := make([]float32, outs), make([]float32, outs)
				op.Forward(n, x, w, y)
				op.Forward(n, x, w2, y2)
				py, py2 := randn(r, outs), randn(r, outs) // garbage: overwritten
				op.ForwardPair(n, x, w, w2, py, py2)
				sameBits(t, "y", py, y)
				sameBits(t, "y2", py2, y2)

				dy, dy2 := randn(r, outs), randn(r, outs)
				for _, betas := range [][2]float32{{0, 1}, {1, 0}, {1, 1}, {0, 0}} {
					dw0, dw20 := randn(r, s.FilterLen()), randn(r, s.FilterLen())
					dw, dw2 := append([]float32(nil), dw0...), append([]float32(nil), dw20...)
					op.BackwardFilter(n, x, dy, dw, betas[0])
					op.BackwardFilter(n, x, dy2, dw2, betas[1])
					pw, pw2 := append([]float32(nil), dw0...), append([]float32(nil), dw20...)
					op.BackwardFilterPair(n, x, dy, pw, betas[0], dy2, pw2, betas[1])
					sameBits(t, fmt.Sprintf("dw(beta %v)", betas[0]), pw, dw)
					sameBits(t, fmt.Sprintf("dw2(beta %v)", betas[1]), pw2, dw2)
				}
			})
		}
	}
}
