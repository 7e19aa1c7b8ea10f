package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/untied-ml/untied/core/tensor"
)

// BenchmarkBatchNorm times BatchNorm's passes in training on the
// activations of ResNet-18 at width 16, batch 128 (the BenchmarkTrainStep
// network), with a GB/s metric for the bytes each pass must move.
func BenchmarkBatchNorm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sh := range [][]int{{128, 16, 28, 28}, {128, 64, 7, 7}} {
		x := tensor.New(sh...)
		for i := range x.Data {
			x.Data[i] = float32(r.NormFloat64())
		}
		dy := tensor.New(sh...)
		copy(dy.Data, x.Data)
		bn := NewBatchNorm("bn", sh[1], false)
		bn.Forward(x, true)
		bytes := float64(4 * x.Len())
		for _, p := range []struct {
			name  string
			moved float64 // arrays read or written
			f     func()
		}{
			{"fwd", 3, func() { bn.Forward(x, true) }}, // x twice, y
			{"bwd", 5, func() { bn.Backward(dy) }},     // dy and x twice, dx
		} {
			b.Run(fmt.Sprintf("shape=%dx%dx%dx%d/pass=%s", sh[0], sh[1], sh[2], sh[3], p.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					p.f()
				}
				b.ReportMetric(p.moved*bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}
