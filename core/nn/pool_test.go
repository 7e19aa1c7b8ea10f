package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/untied-ml/untied/core/tensor"
)

// TestMaxPoolPaths: the fast paths (2×2 stride 2, and the windows inside
// the image for any other shape) give the definition's maxima and winners
// (poolPadded), bit for bit, on data full of ties and signed zeros (the
// first of equal maxima wins, -0 before +0 stays -0); Backward sends each
// output's gradient to its winner.
func TestMaxPoolPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range [][3]int{{2, 2, 0}, {3, 2, 1}, {3, 1, 1}, {3, 2, 0}, {2, 1, 0}, {4, 3, 2}} {
		for _, c := range []struct{ h, w int }{{28, 28}, {10, 10}, {5, 7}, {2, 2}, {3, 3}, {112, 9}} {
			p := NewMaxPool(k[0], k[1], k[2])
			if c.h+2*k[2] < k[0] || c.w+2*k[2] < k[0] {
				continue // Forward refuses a window larger than the padded image
			}
			x := tensor.New(3, 2, c.h, c.w)
			for i := range x.Data {
				x.Data[i] = float32(r.IntN(3)) // ties everywhere
				if r.IntN(4) == 0 {
					x.Data[i] = float32(math.Copysign(0, -1))
				}
			}
			out := p.Forward(x, true)
			oh, ow := p.outSize(c.h, c.w)
			dx := p.Backward(tensor.FromData(seq(3*2*oh*ow), 3, 2, oh, ow))
			for plane := range 3 * 2 {
				src := x.Data[plane*c.h*c.w : (plane+1)*c.h*c.w]
				want, wantArg := make([]float32, oh*ow), make([]int32, oh*ow)
				p.poolPadded(src, want, wantArg, c.h, c.w)
				got, gotArg := out.Data[plane*oh*ow:(plane+1)*oh*ow], p.argmax[plane*oh*ow:(plane+1)*oh*ow]
				if !slices.EqualFunc(got, want, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) || !slices.Equal(gotArg, wantArg) {
					t.Fatalf("pool %v, %+v plane %d: fast path %v at %v, definition %v at %v", k, c, plane, got, gotArg, want, wantArg)
				}
				wantDx := make([]float32, c.h*c.w)
				for j, at := range wantArg {
					wantDx[at] += float32(plane*oh*ow + j)
				}
				if !slices.Equal(dx.Data[plane*c.h*c.w:(plane+1)*c.h*c.w], wantDx) {
					t.Fatalf("pool %v, %+v plane %d: Backward %v, want %v", k, c, plane, dx.Data[plane*c.h*c.w:(plane+1)*c.h*c.w], wantDx)
				}
			}
		}
	}
}

// seq returns 0, 1, …, n−1 as float32.
func seq(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(i)
	}
	return s
}

// BenchmarkMaxPool: LeNet's first pool, 2×2 stride 2 over 64×6×28×28,
// and the ImageNet ResNet stem's, 3×3 stride 2 padding 1 over
// 16×64×112×112.
func BenchmarkMaxPool(b *testing.B) {
	for _, c := range []struct {
		name       string
		n, c, h    int
		k, st, pad int
	}{{"lenet", 64, 6, 28, 2, 2, 0}, {"resnet-stem", 16, 64, 112, 3, 2, 1}} {
		x := tensor.New(c.n, c.c, c.h, c.h)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range x.Data {
			x.Data[i] = float32(r.NormFloat64())
		}
		p := NewMaxPool(c.k, c.st, c.pad)
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				p.Forward(x, true)
			}
		})
	}
}

// poolPadded pools one plane by the definition alone (poolWindows on
// every row): what TestMaxPoolPaths holds the fast paths to.
func (p *MaxPool) poolPadded(src, dst []float32, arg []int32, h, w int) {
	oh, ow := p.outSize(h, w)
	for y := range oh {
		p.poolWindows(src, dst, arg, h, w, y, 0, ow)
	}
}
