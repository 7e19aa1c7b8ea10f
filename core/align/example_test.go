package align_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/untied-ml/untied/core/align"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/optim"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/core/train"
)

// A rule from a preset, with its alignment rate scaled so that B aligns
// within 1 % of the run, trained by its own optimizer over B.
func Example() {
	rng := rand.New(rand.NewPCG(1, 1))
	net := nn.NewSequential(nn.NewDense("fc1", 8, 16, true, rng), nn.NewDense("fc2", 16, 3, true, rng))
	const lr, steps = 0.05, 2000

	spec, _ := align.Preset("sa")
	spec.Scale, _ = align.ScaleFor(spec, lr, steps, align.DefaultTimeFraction)
	tau, _ := align.TimeScale(spec, lr)
	fmt.Printf("scale %.0f, tau %.0f steps\n", spec.Scale, tau)

	rule, err := align.New(spec, nn.UntiedLayers(net), steps, 1)
	if err != nil {
		panic(err)
	}
	params := net.Params()
	task, _ := optim.NewSGD(params, optim.SGDConfig{LR: optim.Constant(lr), Filter: optim.ExceptKinds(nn.Feedback)})
	var opts []train.Optimizer = []train.Optimizer{task}
	if spec.TrainB {
		b, _ := optim.NewSGD(params, optim.SGDConfig{LR: optim.Constant(lr), Filter: optim.OnlyKinds(nn.Feedback)})
		opts = append(opts, b)
	}
	tr := train.New(net, rule, opts...)
	x := tensor.New(4, 8)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	for range 3 {
		tr.Step(x, []int32{0, 1, 2, 0})
	}
	fmt.Println(len(rule.Loss()), "layers")
	// Output:
	// scale 500, tau 20 steps
	// 2 layers
}

// ParseTerms reads a custom composition from a flag.
func ExampleParseTerms() {
	ts, err := align.ParseTerms("decay=1e-3,self=2e-3@linear(0:0:0.1)")
	if err != nil {
		panic(err)
	}
	spec := align.Custom("my-sa", ts)
	fmt.Println(align.FormatTerms(spec.Terms), spec.Local)
	_, err = align.ParseTerms("decay=1e-3,mirror=1")
	fmt.Println(err)
	// Output:
	// decay=0.001,self=0.002@linear(0:0:0.1) false
	// align: term "mirror=1": unknown primitive "mirror" (known: decay, amp, null, sparse, self, nullb)
}
