package run

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/untied-ml/untied/core/data"
	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/optim"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/core/train"
)

// Run trains cfg to the end, showing progress on w (nil for none), and
// returns the result it wrote to cfg.Out/result.json.
func Run(cfg Config, w io.Writer) (*Result, error) {
	start := time.Now()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cfg.Threads))
	}
	cfg.Threads = runtime.GOMAXPROCS(0)
	if w == nil {
		w = io.Discard
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, fmt.Errorf("run: -out: %w", err)
	}
	trainSet, testSet, err := loadData(cfg)
	if err != nil {
		return nil, err
	}
	mean, std := trainSet.MeanStd()
	lcfg := data.LoaderConfig{Batch: cfg.Batch, Shuffle: true, Seed: cfg.Seed, Mean: mean, Std: std}
	if cfg.Augment {
		lcfg.CropPad, lcfg.Flip = 2, true
	}
	trainLoader, err := data.NewLoader(trainSet, lcfg)
	if err != nil {
		return nil, err
	}
	testLoader, err := data.NewLoader(testSet, data.LoaderConfig{Batch: 500, Mean: mean, Std: std})
	if err != nil {
		return nil, err
	}
	cfg.SmallStem = trainSet.H < 64
	net, err := model.New(model.Config{Arch: cfg.Model, Width: cfg.Width, Classes: trainSet.Classes,
		InChannels: trainSet.C, InputSize: trainSet.H, SmallStem: cfg.SmallStem, Seed: cfg.Seed})
	if err != nil {
		return nil, fmt.Errorf("run: -model %s: %w", cfg.Model, err)
	}
	trainer, err := newTrainer(cfg, net, trainLoader.Batches())
	if err != nil {
		return nil, err
	}

	res := &Result{Config: cfg, Params: model.CountWeights(net), Machine: machine()}
	resultPath := filepath.Join(cfg.Out, "result.json")
	var (
		x         *tensor.Tensor
		labels    []int32
		trainTime time.Duration
		images    int
	)
	for epoch := 0; epoch < cfg.Epochs; epoch++ {
		bar := newBar(w, trainSet.N, epoch, cfg.Epochs)
		epochStart := time.Now()
		var lossSum float64
		var correct, seen int
		for i := 0; i < trainLoader.Batches(); i++ {
			x, labels = trainLoader.Batch(epoch, i, x, labels)
			loss, c := trainer.Step(x, labels)
			lossSum += loss * float64(len(labels))
			correct += c
			seen += len(labels)
			bar.Describe(fmt.Sprintf("epoch %d/%d  loss %.4f", epoch+1, cfg.Epochs, lossSum/float64(seen)))
			bar.Add(len(labels))
		}
		bar.Finish()
		secs := time.Since(epochStart)
		trainTime += secs
		images += seen
		ev := train.Evaluate(net, testLoader)
		fmt.Fprintf(w, "\nepoch %d/%d  train loss %.4f  train top-1 %.2f%%  test top-1 %.2f%%  top-5 %.2f%%  %.0f img/s\n",
			epoch+1, cfg.Epochs, lossSum/float64(seen), 100*float64(correct)/float64(seen), ev.Top1, ev.Top5, float64(seen)/secs.Seconds())
		res.Epochs = append(res.Epochs, Epoch{Epoch: epoch + 1, TrainLoss: lossSum / float64(seen),
			TrainTop1: 100 * float64(correct) / float64(seen), TestLoss: ev.Loss, TestTop1: ev.Top1, TestTop5: ev.Top5,
			Seconds: secs.Seconds()})
		res.TestTop1, res.TestTop5 = ev.Top1, ev.Top5
		res.ImagesPerSec = float64(images) / trainTime.Seconds()
		res.Finished = epoch+1 == cfg.Epochs
		res.WallSeconds = time.Since(start).Seconds()
		if err := WriteJSON(resultPath, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func loadData(cfg Config) (trainSet, testSet *data.Dataset, err error) {
	if cfg.Data == "synthetic" {
		trainSet, testSet = data.Synthetic(1024, 1, 28, 28, 10, cfg.Seed), data.Synthetic(256, 1, 28, 28, 10, cfg.Seed+1)
	} else if trainSet, testSet, err = data.Load(cfg.Data, cfg.DataDir); err != nil {
		return nil, nil, err
	}
	if cfg.TrainLimit > 0 && cfg.TrainLimit < trainSet.N {
		trainSet = trainSet.Slice(0, cfg.TrainLimit)
	}
	return trainSet, testSet, nil
}

// newTrainer sets the backward route and builds the optimizer for cfg.Rule.
// Feedback weights are never in the task optimizer: under bp they are
// unused, under fa they stay at their random initialisation.
func newTrainer(cfg Config, net nn.Module, stepsPerEpoch int) (*train.Trainer, error) {
	switch cfg.Rule {
	case "bp":
		nn.SetRoute(net, nn.BackpropRoute)
	case "fa":
		nn.SetRoute(net, nn.FeedbackRoute)
	}
	sched, err := schedule(cfg, stepsPerEpoch)
	if err != nil {
		return nil, err
	}
	opt, err := optim.NewSGD(net.Params(), optim.SGDConfig{LR: sched, Momentum: cfg.Momentum,
		Nesterov: cfg.Nesterov, WeightDecay: cfg.WeightDecay, Filter: optim.ExceptKinds(nn.Feedback)})
	if err != nil {
		return nil, err
	}
	return train.New(net, nil, opt), nil
}

// schedule returns cfg's learning-rate schedule in steps. The step
// schedule divides by 10 at 1/3, 2/3 and 8/9 of the run, the paper's
// epochs 30, 60 and 80 of 90.
func schedule(cfg Config, stepsPerEpoch int) (optim.Schedule, error) {
	total := cfg.Epochs * stepsPerEpoch
	warmup := int(cfg.WarmupEpochs * float64(stepsPerEpoch))
	switch cfg.Schedule {
	case "cosine":
		return optim.NewCosine(cfg.LR, total, warmup)
	case "step":
		return optim.NewStepDecay(cfg.LR, warmup, []int{total / 3, 2 * total / 3, 8 * total / 9}, 0.1)
	}
	return optim.Constant(cfg.LR), nil
}

func newBar(w io.Writer, images, epoch, epochs int) *progressbar.ProgressBar {
	return progressbar.NewOptions(images,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", epoch+1, epochs)),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("img"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetWidth(20),
	)
}

func machine() Machine {
	return Machine{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GOMAXPROCS: runtime.GOMAXPROCS(0),
		NumCPU: runtime.NumCPU(), GoVersion: runtime.Version()}
}
