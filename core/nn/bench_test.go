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
	for _, sh := range [][]int{{128, 16, 28, 28}, {128, 64, 7, 7}, {128, 128, 4, 4}} {
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

// BenchmarkFusions times the neighbours model.New joins, both passes, on
// ResNet-18's layers at width 16, batch 128, joined (fused=true) and not:
// a BatchNorm+ReLU and the 3×3 conv after it, the BatchNorm writing on the
// conv's input grid (else the conv lays its input out on its band forward
// and again backward); a 3×3 conv and the BatchNorm after it, the conv
// gathering the BatchNorm's statistics (else the BatchNorm reads its input
// once more for them).
func BenchmarkFusions(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, sh := range [][]int{{128, 16, 28, 28}, {128, 32, 14, 14}, {128, 64, 7, 7}} {
		for _, pair := range []string{"bn-conv", "conv-bn"} {
			for _, fused := range []bool{false, true} {
				x := tensor.New(sh...)
				for i := range x.Data {
					x.Data[i] = float32(r.NormFloat64())
				}
				dy := tensor.New(sh...)
				copy(dy.Data, x.Data)
				bn := NewBatchNorm("bn", sh[1], false)
				bn.ReLU = true
				conv := NewConv2D("conv", sh[1], sh[1], 3, 1, 1, false, r)
				step := func() {
					conv.Forward(bn.Forward(x, true), true)
					bn.Backward(conv.Backward(dy))
				}
				switch {
				case pair == "bn-conv" && fused:
					bn.GridFor = conv.InputGrid
				case pair == "conv-bn":
					conv.GatherSums = fused
					if fused {
						bn.SumsFrom = conv
					}
					step = func() {
						bn.Forward(conv.Forward(x, true), true)
						conv.Backward(bn.Backward(dy))
					}
				}
				step()
				b.Run(fmt.Sprintf("shape=%dx%dx%dx%d/pair=%s/fused=%v", sh[0], sh[1], sh[2], sh[3], pair, fused), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						step()
					}
				})
			}
		}
	}
}
