package optim_test

import (
	"fmt"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/noise"
	"github.com/untied-ml/untied/core/optim"
)

// A task optimizer for everything but the feedback weights, and a separate
// alignment optimizer for them, as in the paper's recipe.
func Example() {
	w := nn.NewParam("fc.W", nn.Forward, 2)
	b := nn.NewParam("fc.B", nn.Feedback, 2)
	params := []*nn.Param{w, b}
	w.Value.Fill(1)
	b.Value.Fill(1)

	task, err := optim.NewSGD(params, optim.SGDConfig{
		LR: optim.Constant(0.1), Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4,
		Filter: optim.ExceptKinds(nn.Feedback),
	})
	if err != nil {
		panic(err)
	}
	align, err := optim.NewSGD(params, optim.SGDConfig{
		LR: optim.Constant(0.01), Momentum: 0.9, Nesterov: true,
		Filter: optim.OnlyKinds(nn.Feedback),
	})
	if err != nil {
		panic(err)
	}

	w.Grad.Fill(0.5) // from the task loss
	b.Grad.Fill(2)   // from the alignment loss
	task.Step()
	align.Step()
	fmt.Printf("W %.5f\nB %.3f\n", w.Value.Data[0], b.Value.Data[0])
	// Output:
	// W 0.90498
	// B 0.962
}

// The paper's ImageNet schedule: 5 epochs of linear warm-up, then ÷10 at
// epochs 30, 60 and 80.
func ExamplePaperStepDecay() {
	const stepsPerEpoch = 5004
	s, err := optim.PaperStepDecay(0.1, 90*stepsPerEpoch, 5*stepsPerEpoch)
	if err != nil {
		panic(err)
	}
	for _, epoch := range []int{0, 1, 5, 29, 30, 60, 80} {
		fmt.Printf("epoch %2d: %.4g\n", epoch, s.LR(epoch*stepsPerEpoch))
	}
	// Output:
	// epoch  0: 0
	// epoch  1: 0.02
	// epoch  5: 0.1
	// epoch 29: 0.1
	// epoch 30: 0.01
	// epoch 60: 0.001
	// epoch 80: 0.0001
}

// Noisy updates on the feedback weights only, configured from flag values.
func ExampleNoise() {
	dist, err := noise.ParseDist("uniform")
	if err != nil {
		panic(err)
	}
	site, err := optim.ParseSite("b")
	if err != nil {
		panic(err)
	}
	w := nn.NewParam("W", nn.Forward, 3)
	b := nn.NewParam("B", nn.Feedback, 3)
	o, err := optim.NewSGD([]*nn.Param{w, b}, optim.SGDConfig{
		LR: optim.Constant(0.1), Momentum: 0.9,
		Noise: &optim.Noise{Variance: 1e-2, Dist: dist, Site: site, Seed: 1},
	})
	if err != nil {
		panic(err)
	}
	// Zero gradients: only the noise moves anything, and only B, within
	// lr·√(3·variance).
	o.Step()
	bound := 0.1 * 0.17320508
	for i, v := range b.Value.Data {
		fmt.Println(w.Value.Data[i] == 0, v != 0 && -bound <= float64(v) && float64(v) <= bound)
	}
	// Output:
	// true true
	// true true
	// true true
}
