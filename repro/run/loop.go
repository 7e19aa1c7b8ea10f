package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/untied-ml/untied/core/metric"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/core/train"
	"github.com/untied-ml/untied/repro/result"
)

// loop is the epoch loop of one run, from res.Resume on.
type loop struct {
	ctx        context.Context
	cfg        result.Config
	net        nn.Module
	trainer    *train.Trainer
	metrics    *metricsLog
	in         *inputs
	res        *result.Record
	w          io.Writer
	wallBase   float64 // wall seconds of earlier parts of the run
	start      time.Time
	resultPath string
}

func (l *loop) run() error {
	r := l.res.Resume
	layers := nn.UntiedLayers(l.net)
	var (
		x      *tensor.Tensor
		labels []int32
	)
	for epoch := r.Epoch; epoch < l.cfg.Epochs; epoch++ {
		bar := newBar(l.w, l.in.train.Len(), epoch, l.cfg.Epochs)
		bar.Add(min(r.Seen, l.in.train.Len()))
		epochStart := time.Now()
		batches := l.in.train.Batches()
		for i := r.Batch; i < batches; i++ {
			if err := l.ctx.Err(); err != nil {
				r.Step, r.Epoch, r.Batch = l.trainer.Steps(), epoch, i
				if serr := l.save(time.Since(epochStart)); serr != nil {
					return serr
				}
				return fmt.Errorf("run: interrupted at step %d (%w); run the same command again to resume", r.Step, err)
			}
			var err error
			if x, labels, err = l.in.train.Batch(epoch, i, x, labels); err != nil {
				return err
			}
			var exact [][]float32
			measure := l.cfg.MetricsEvery > 0 && l.trainer.Steps()%l.cfg.MetricsEvery == 0
			if measure {
				exact = l.metrics.exact
			}
			loss, c := l.trainer.StepWithReference(x, labels, exact)
			if !(loss <= l.lossBound()) { // NaN too
				return l.diverged("training loss", loss, epoch)
			}
			if measure {
				err := l.metrics.write(l.trainer.Steps(), epoch+1, loss)
				if errors.Is(err, errNonFinite) {
					return l.diverged("alignment metrics", math.NaN(), epoch)
				}
				if err != nil {
					return err
				}
			}
			r.LossSum += loss * float64(len(labels))
			r.Correct += c
			r.Seen += len(labels)
			bar.Describe(fmt.Sprintf("epoch %d/%d  loss %.4f", epoch+1, l.cfg.Epochs, r.LossSum/float64(r.Seen)))
			bar.Add(len(labels))
			if every := l.cfg.CurveEvery; every > 0 && l.trainer.Steps()%every == 0 {
				if err := l.curvePoint(epoch); err != nil {
					return err
				}
			}
			if afterStepHook != nil {
				afterStepHook(l.trainer.Steps(), l.net)
			}
			if every := l.cfg.CheckpointEvery; every > 0 && l.trainer.Steps()%every == 0 && i+1 < batches {
				r.Step, r.Epoch, r.Batch = l.trainer.Steps(), epoch, i+1
				if err := l.save(time.Since(epochStart)); err != nil {
					return err
				}
			}
		}
		bar.Finish()
		secs := r.EpochSeconds + time.Since(epochStart).Seconds()
		ev, err := train.Evaluate(l.net, l.in.test)
		if err != nil {
			return err
		}
		if math.IsNaN(ev.Loss) || math.IsInf(ev.Loss, 0) {
			return l.diverged("test loss", ev.Loss, epoch)
		}
		if ev.Constant {
			// Every unit of some layer died: the output no longer depends
			// on the input, and no gradient will revive it. Sign symmetry
			// through LeNet at the edge of its stable rates ends so, at
			// 11 % with its loss near ln(classes), never past lossBound.
			return l.diverged("the same output for every test image; test top-1", ev.Top1, epoch)
		}
		var val train.Eval
		valText := ""
		if l.in.val != nil {
			if val, err = train.Evaluate(l.net, l.in.val); err != nil {
				return err
			}
			if math.IsNaN(val.Loss) || math.IsInf(val.Loss, 0) {
				return l.diverged("validation loss", val.Loss, epoch)
			}
			valText = fmt.Sprintf("  val top-1 %.2f%%", val.Top1)
		}
		angle := metric.MeanWeightAngle(layers)
		fmt.Fprintf(l.w, "\nepoch %d/%d  train loss %.4f  train top-1 %.2f%%%s  test top-1 %.2f%%  top-5 %.2f%%  %.0f img/s\n",
			epoch+1, l.cfg.Epochs, r.LossSum/float64(r.Seen), 100*float64(r.Correct)/float64(r.Seen), valText, ev.Top1, ev.Top5, float64(r.Seen)/secs)
		res := l.res
		res.Epochs = append(res.Epochs, result.Epoch{Epoch: epoch + 1, TrainLoss: r.LossSum / float64(r.Seen),
			TrainTop1: 100 * float64(r.Correct) / float64(r.Seen), TestLoss: ev.Loss, TestTop1: ev.Top1, TestTop5: ev.Top5,
			ValLoss: val.Loss, ValTop1: val.Top1, Seconds: secs, WeightAngle: angle})
		res.TestTop1, res.TestTop5, res.ValTop1, res.MeanWeightAngle = ev.Top1, ev.Top5, val.Top1, angle
		*r = result.Resume{Step: l.trainer.Steps(), Epoch: epoch + 1, TrainSeconds: r.TrainSeconds + secs, Images: r.Images + r.Seen}
		res.ImagesPerSec = float64(r.Images) / r.TrainSeconds
		res.Steps = l.trainer.Steps()
		res.Finished = epoch+1 == l.cfg.Epochs
		if err := l.save(0); err != nil {
			return err
		}
	}
	return nil
}

// curvePoint evaluates the learning curve's held-out slice and records
// the point in the result (saved with the next checkpoint, so a resumed
// run's curve equals an uninterrupted one's).
func (l *loop) curvePoint(epoch int) error {
	ev, err := train.Evaluate(l.net, l.in.curve)
	if err != nil {
		return err
	}
	if math.IsNaN(ev.Loss) || math.IsInf(ev.Loss, 0) {
		return l.diverged("learning-curve loss", ev.Loss, epoch)
	}
	l.res.Curve = append(l.res.Curve, result.CurvePoint{Step: l.trainer.Steps(), Loss: ev.Loss, Top1: ev.Top1})
	return nil
}

// lossBound is the training loss past which a run counts as diverged:
// 100 times chance's cross-entropy ln(classes). A run that far above
// chance has activity growing without bound (feedback alignment through
// LeNet at lr 0.05 reaches 8e9), and what it would score is meaningless.
func (l *loop) lossBound() float64 { return 100 * math.Log(float64(l.in.classes)) }

// diverged finishes the run as diverged: result.json records where, with
// no accuracy, and the error wraps ErrDiverged.
func (l *loop) diverged(what string, v float64, epoch int) error {
	res := l.res
	res.Diverged = fmt.Sprintf("%s %v at step %d (epoch %d)", what, v, l.trainer.Steps(), epoch+1)
	res.Finished, res.Resume = true, nil
	res.TestTop1, res.TestTop5, res.ValTop1 = 0, 0, 0 // no accuracy: tables print "diverged"
	res.Steps = l.trainer.Steps()
	res.WallSeconds = l.wallBase + time.Since(l.start).Seconds()
	if err := result.WriteJSON(l.resultPath, res); err != nil {
		return err
	}
	return fmt.Errorf("run: %w: %s", ErrDiverged, res.Diverged)
}

// afterStepHook, when set by a test, is called after every step.
var afterStepHook func(step int, net nn.Module)

// save writes the checkpoint, then result.json, with the loop state as it
// stands (epochTime: training time of the current epoch in this process).
func (l *loop) save(epochTime time.Duration) error {
	res := l.res
	res.WallSeconds = l.wallBase + time.Since(l.start).Seconds()
	res.Machine.PeakRSS = max(res.Machine.PeakRSS, int64(procField("/proc/self/status", "VmHWM:")))
	saved := *res.Resume
	res.Resume.EpochSeconds += epochTime.Seconds()
	if res.Finished {
		res.Resume = nil
	}
	err := saveCheckpoint(l.cfg.Out, l.net, l.trainer, res)
	if err == nil {
		err = result.WriteJSON(l.resultPath, res)
	}
	if !res.Finished {
		*res.Resume = saved // EpochSeconds grows from this process's epochStart
	}
	return err
}
