package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/repro/result"
	"github.com/untied-ml/untied/repro/run"
)

// BenchmarkTrainStep measures one full training step of ResNet-18 at width
// 16 with the small-image stem on 28×28×1 inputs, batch 128: forward,
// loss, backward along the rule's route, the rule's alignment gradients and
// the SGD updates, built exactly as `untied train` builds them. It reports
// images per second and the CPU time of a step, all threads together
// (cpu-s/op): on a machine shared with other work the wall time varies with
// their load, the CPU time much less. Compare rules with
// `benchstat -col /rule`.
func BenchmarkTrainStep(b *testing.B) {
	const batch, width = 128, 16
	rules := []string{"bp", "fa", "sa", "aa", "wm", "ia", "kp", "usf", "brsf", "frsf"}
	for _, rule := range rules {
		b.Run(fmt.Sprintf("model=resnet18/width=%d/rule=%s", width, rule), func(b *testing.B) {
			net, err := model.New(model.Config{Arch: "resnet18", Width: width, Classes: 10, InChannels: 1, InputSize: 28, SmallStem: true, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			cfg := result.Defaults()
			cfg.Rule, cfg.Epochs, cfg.MetricsEvery = rule, 1, 0
			tr, _, err := run.NewTrainer(cfg, net, 1000)
			if err != nil {
				b.Fatal(err)
			}
			x, labels := batchOf(batch)
			// Warm up: buffers are allocated on the first step; collect them
			// now rather than in a timed step, and step once more so the
			// runtime's caches (those of parked goroutines) are full again.
			tr.Step(x, labels)
			runtime.GC()
			tr.Step(x, labels)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuSeconds()
			for range b.N {
				tr.Step(x, labels)
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "img/s")
			if cpu0 >= 0 {
				b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
			}
		})
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
