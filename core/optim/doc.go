// Package optim updates parameters from their gradients: SGD with momentum
// or Nesterov momentum in TensorFlow's form, L2 weight decay on forward
// weights only, learning-rate schedules, and the noisy updates of the
// robustness experiment (docs/rules.md §6–§7).
//
// A training step that uses a separate optimizer for the alignment loss
// builds two SGDs over the same parameter list, split by Filter:
//
//	task, _ := optim.NewSGD(params, optim.SGDConfig{LR: sched, Momentum: 0.9,
//		Nesterov: true, WeightDecay: 1e-4, Filter: optim.ExceptKinds(nn.Feedback)})
//	align, _ := optim.NewSGD(params, optim.SGDConfig{LR: alignSched, Momentum: 0.9,
//		Nesterov: true, Filter: optim.OnlyKinds(nn.Feedback)})
//
// Weight decay is added to the gradient (g + wd·w) of Kind nn.Forward
// parameters only. Feedback weights B, BatchNorm γ/β and biases never get
// it: in the paper B's only decay is the alignment loss's Decay primitive
// (Kolen-Pollack included), and the recipe exempts BatchNorm parameters.
//
// Step k (counting from 0) uses the schedule's rate LR(k). Warm-ups start at
// rate 0, as in the reference code.
//
// State and SetState save and restore the step counter, the velocities and
// the noise generator, so a resumed run continues exactly as an
// uninterrupted one would.
package optim
