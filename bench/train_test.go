package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/repro/result"
	"github.com/untied-ml/untied/repro/run"
)

// A trainNet is one network BenchmarkTrainStep times, with the input and
// batch it is timed at and the rules it is timed with.
type trainNet struct {
	arch           string
	width          int // 0: the published width (64)
	size, channels int // input images: size×size×channels
	classes, batch int
	smallStem      bool // 3×3 stride-1 stem, no max-pool
	rules          []string
}

// trainNets: the engine's reference network with every rule, then larger
// ones with backprop, so the cost's growth with depth, width and image
// size shows: ResNet-50 at the same width, ResNet-18 at full width on
// CIFAR-sized images, and at full width on ImageNet-sized ones (standard
// stem, batch 16); and BioTorch's LeNet as its benchmark trains it
// (32×32, batch 64), whose small layers test the engine's overheads.
var trainNets = []trainNet{
	{"resnet18", 16, 28, 1, 10, 128, true, []string{"bp", "fa", "sa", "aa", "wm", "ia", "kp", "usf", "brsf", "frsf",
		"wm-input64", "ia-input64", "aa-input64", "wm-input32", "ia-input32", "aa-input32"}},
	{"resnet50", 16, 28, 1, 10, 128, true, []string{"bp"}},
	{"resnet18", 64, 32, 3, 10, 128, true, []string{"bp"}},
	{"resnet18", 64, 224, 3, 1000, 16, false, []string{"bp"}},
	{"lenet-mnist", 0, 32, 1, 10, 64, false, []string{"bp", "brsf"}},
}

// BenchmarkTrainStep measures one full training step of each trainNet:
// forward, loss, backward along the rule's route, the rule's alignment
// gradients and the SGD updates, built exactly as `untied train` builds
// them. It reports images per second and the CPU time of a step, all
// threads together (cpu-s/op): on a machine shared with other work the
// wall time varies with their load, the CPU time much less. Compare rules
// with `benchstat -col /rule`; `make bench-pytorch` runs the same networks
// in PyTorch.
func BenchmarkTrainStep(b *testing.B) {
	for _, tn := range trainNets {
		for _, rule := range tn.rules {
			name := fmt.Sprintf("model=%s/width=%d/size=%d/batch=%d/rule=%s", tn.arch, tn.width, tn.size, tn.batch, rule)
			b.Run(name, func(b *testing.B) { benchTrainStep(b, tn, rule) })
		}
	}
}

func benchTrainStep(b *testing.B, tn trainNet, rule string) {
	net, err := model.New(model.Config{Arch: tn.arch, Width: tn.width, Classes: tn.classes, InChannels: tn.channels,
		InputSize: tn.size, SmallStem: tn.smallStem, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	cfg := result.Defaults()
	cfg.Rule, cfg.Epochs, cfg.MetricsEvery = rule, 1, 0
	// "wm-input64": wm with its terms on 64 samples a step
	// (-align-input-batch 64).
	if r, n, ok := strings.Cut(rule, "-input"); ok {
		cfg.Rule, cfg.AlignInputBatch = r, mustAtoi(n)
	}
	tr, _, err := run.NewTrainer(cfg, net, 1000)
	if err != nil {
		b.Fatal(err)
	}
	x, labels := batchOf(tn)
	// Warm up: buffers are allocated on the first step; collect them now
	// rather than in a timed step, and step once more so the runtime's
	// caches (those of parked goroutines) are full again.
	tr.Step(x, labels)
	runtime.GC()
	tr.Step(x, labels)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for range b.N {
		tr.Step(x, labels)
	}
	b.ReportMetric(float64(tn.batch*b.N)/b.Elapsed().Seconds(), "img/s")
	if cpu0 >= 0 {
		b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
	}
}

func mustAtoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

// batchOf returns a batch of tn's inputs, N(0, 1), and random labels.
func batchOf(tn trainNet) (*tensor.Tensor, []int32) {
	n := tn.batch
	r := rand.New(rand.NewPCG(1, 2))
	x := tensor.New(n, tn.channels, tn.size, tn.size)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(r.IntN(tn.classes))
	}
	return x, labels
}
