package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/untied-ml/untied/core/tensor"
)

// BenchmarkBatchNorm times BatchNorm's passes in training on the
// activations of ResNet-18 at width 16, batch 128 (the BenchmarkTrainStep
// network), alone and with its ReLU, with a GB/s metric for the bytes
// each pass must move.
func BenchmarkBatchNorm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sh := range [][]int{{128, 16, 28, 28}, {128, 64, 7, 7}} {
		x := tensor.New(sh...)
		for i := range x.Data {
			x.Data[i] = float32(r.NormFloat64())
		}
		dy := tensor.New(sh...)
		copy(dy.Data, x.Data)
		bytes := float64(4 * x.Len())
		for _, relu := range []bool{false, true} {
			bn := NewBatchNorm("bn", sh[1], false)
			bn.ReLU = relu
			bn.Forward(x, true)
			for _, p := range []struct {
				name  string
				moved float64 // arrays read or written
				f     func()
			}{
				{"fwd", 3, func() { bn.Forward(x, true) }}, // x twice, y
				{"bwd", 5, func() { bn.Backward(dy) }},     // dy and x twice, dx (with ReLU, x once more, from cache)
			} {
				b.Run(fmt.Sprintf("shape=%dx%dx%dx%d/relu=%v/pass=%s", sh[0], sh[1], sh[2], sh[3], relu, p.name), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						p.f()
					}
					b.ReportMetric(p.moved*bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
				})
			}
		}
	}
}

// BenchmarkBNConv times a BatchNorm+ReLU and the 3×3 conv after it, both
// passes, as in ResNet-18's basic blocks at width 16, batch 128: with the
// BatchNorm writing its output on the conv's input grid (grid=true, as
// model.New wires them) and in NCHW order, which the conv then lays out on
// its band forward and again backward (grid=false).
func BenchmarkBNConv(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, sh := range [][]int{{128, 16, 28, 28}, {128, 32, 14, 14}, {128, 64, 7, 7}} {
		for _, grid := range []bool{false, true} {
			x := tensor.New(sh...)
			for i := range x.Data {
				x.Data[i] = float32(r.NormFloat64())
			}
			dy := tensor.New(sh...)
			copy(dy.Data, x.Data)
			bn := NewBatchNorm("bn", sh[1], false)
			bn.ReLU = true
			conv := NewConv2D("conv", sh[1], sh[1], 3, 1, 1, false, r)
			if grid {
				bn.GridFor = conv.InputGrid
			}
			step := func() {
				conv.Forward(bn.Forward(x, true), true)
				bn.Backward(conv.Backward(dy))
			}
			step()
			b.Run(fmt.Sprintf("shape=%dx%dx%dx%d/grid=%v", sh[0], sh[1], sh[2], sh[3], grid), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					step()
				}
			})
		}
	}
}
