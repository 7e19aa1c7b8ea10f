package run

import (
	"fmt"
	"io"
	"math"

	"github.com/untied-ml/untied/core/align"

	"github.com/untied-ml/untied/core/data"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/optim"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/core/train"
	"github.com/untied-ml/untied/repro/result"
)

// warmupSteps is the number of alignment-only steps cfg asks for before
// training: AlignWarmup × the run's steps, rounded, for rules whose B an
// alignment loss trains. Not Kolen-Pollack: its B takes W's task gradient,
// so with W fixed a warm-up only moves B away from W (on LeNet it made KP
// diverge at the second step).
func warmupSteps(cfg result.Config, spec align.Spec, stepsPerEpoch int) int {
	if !spec.TrainB || spec.KolenPollack || cfg.AlignWarmup <= 0 {
		return 0
	}
	return int(math.Round(cfg.AlignWarmup * float64(cfg.Epochs*stepsPerEpoch)))
}

// alignWarmup runs n alignment-only steps (train.Trainer.AlignStep) on the
// first n batches of epoch 0 (cycling when n exceeds an epoch), with an
// optimizer of B alone at the constant base rate of B's schedule and the
// run's momentum, which is dropped afterwards. W, BatchNorm and biases do
// not move and the run's steps and schedules start afterwards as usual.
// The warm-up is deterministic, so a run interrupted before its first
// checkpoint repeats it exactly.
func alignWarmup(cfg result.Config, net nn.Module, tr *train.Trainer, src data.Source, n int, w io.Writer) error {
	lr := cfg.LR
	if cfg.AlignLR > 0 {
		lr = cfg.AlignLR
	}
	opt, err := optim.NewSGD(net.Params(), optim.SGDConfig{LR: optim.Constant(lr), Momentum: cfg.Momentum,
		Nesterov: cfg.Nesterov, Filter: optim.OnlyKinds(nn.Feedback)})
	if err != nil {
		return err
	}
	var x *tensor.Tensor
	var labels []int32
	for i := range n {
		if x, labels, err = src.Batch(0, i%src.Batches(), x, labels); err != nil {
			return fmt.Errorf("run: alignment warm-up: %w", err)
		}
		loss := tr.AlignStep(x, labels, opt)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return fmt.Errorf("run: alignment warm-up step %d: loss %v: %w", i, loss, ErrDiverged)
		}
	}
	fmt.Fprintf(w, "alignment warm-up: %d steps of B alone\n", n)
	return nil
}
