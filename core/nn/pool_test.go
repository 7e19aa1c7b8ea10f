package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/untied-ml/untied/core/tensor"
)

// TestMaxPoolPaths: the 2×2 stride-2 pool's fast path gives the padded path's
// maxima and winners, bit for bit, on data full of ties and signed zeros
// (the first of equal maxima wins, -0 before +0 stays -0).
func TestMaxPoolPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ h, w int }{{28, 28}, {10, 10}, {5, 7}, {2, 2}} {
		x := tensor.New(3, 2, c.h, c.w)
		for i := range x.Data {
			x.Data[i] = float32(r.IntN(3)) // ties everywhere
			if r.IntN(4) == 0 {
				x.Data[i] = float32(math.Copysign(0, -1))
			}
		}
		p := NewMaxPool(2, 2, 0)
		out := p.Forward(x, true)
		oh, ow := p.outSize(c.h, c.w)
		for plane := range 3 * 2 {
			src := x.Data[plane*c.h*c.w : (plane+1)*c.h*c.w]
			want, wantArg := make([]float32, oh*ow), make([]int32, oh*ow)
			p.poolPadded(src, want, wantArg, c.h, c.w)
			got, gotArg := out.Data[plane*oh*ow:(plane+1)*oh*ow], p.argmax[plane*oh*ow:(plane+1)*oh*ow]
			if !slices.EqualFunc(got, want, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) || !slices.Equal(gotArg, wantArg) {
				t.Fatalf("%+v plane %d: fast path %v at %v, padded path %v at %v", c, plane, got, gotArg, want, wantArg)
			}
		}
	}
}

// BenchmarkMaxPool: LeNet's first pool, 2×2 stride 2 over 64×6×28×28.
func BenchmarkMaxPool(b *testing.B) {
	x := tensor.New(64, 6, 28, 28)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	p := NewMaxPool(2, 2, 0)
	for range b.N {
		p.Forward(x, true)
	}
}
