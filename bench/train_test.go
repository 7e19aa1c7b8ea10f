package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/optim"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/core/train"
)

// BenchmarkTrainStep measures one full training step (forward, loss,
// backward, SGD update) of ResNet-18 with the small-image stem on 28×28×1
// inputs, batch 128, and reports images per second.
func BenchmarkTrainStep(b *testing.B) {
	const batch = 128
	for _, width := range []int{16} {
		for _, rule := range []string{"bp", "fa"} {
			b.Run(fmt.Sprintf("model=resnet18/width=%d/rule=%s", width, rule), func(b *testing.B) {
				net, err := model.New(model.Config{Arch: "resnet18", Width: width, Classes: 10, InChannels: 1, InputSize: 28, SmallStem: true, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				route := nn.FeedbackRoute
				if rule == "bp" {
					route = nn.BackpropRoute
				}
				nn.SetRoute(net, route)
				opt, err := optim.NewSGD(net.Params(), optim.SGDConfig{LR: optim.Constant(0.01), Momentum: 0.9, Nesterov: true,
					WeightDecay: 1e-4, Filter: optim.ExceptKinds(nn.Feedback)})
				if err != nil {
					b.Fatal(err)
				}
				tr := train.New(net, nil, opt)
				x, labels := batchOf(batch)
				tr.Step(x, labels) // warm up: buffers are allocated on the first step
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					tr.Step(x, labels)
				}
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "img/s")
			})
		}
	}
}

func batchOf(n int) (*tensor.Tensor, []int32) {
	r := rand.New(rand.NewPCG(1, 2))
	x := tensor.New(n, 1, 28, 28)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(r.IntN(10))
	}
	return x, labels
}
