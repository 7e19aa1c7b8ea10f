package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/untied-ml/untied/core/align"
	"github.com/untied-ml/untied/core/data"
	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/noise"
	"github.com/untied-ml/untied/core/optim"
	"github.com/untied-ml/untied/core/train"
	"github.com/untied-ml/untied/repro/result"
)

// Run trains cfg to the end, showing progress on w (nil for none), and
// returns the result it wrote to cfg.Out/result.json.
func Run(cfg result.Config, w io.Writer) (*result.Record, error) {
	return RunContext(context.Background(), cfg, w)
}

// RunContext is Run that stops when ctx is done: it then writes a
// checkpoint at the step it reached and returns an error wrapping
// ctx.Err(); running the same configuration again resumes from there.
func RunContext(ctx context.Context, cfg result.Config, w io.Writer) (*result.Record, error) {
	start := time.Now()
	requested := cfg // recorded as asked for, before anything below derives fields
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
	unlock, err := lockDir(cfg.Out)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// After the lock (a busy directory is ErrBusy, whatever the memory),
	// before anything large is allocated.
	if err := checkMemory(cfg); err != nil {
		return nil, err
	}
	in, err := loadInputs(cfg)
	if err != nil {
		return nil, err
	}
	cfg.SmallStem = in.size < 64
	net, err := model.New(model.Config{Arch: cfg.Model, Width: cfg.Width, Classes: in.classes,
		InChannels: in.channels, InputSize: in.size, SmallStem: cfg.SmallStem, Seed: cfg.Seed})
	if err != nil {
		return nil, fmt.Errorf("run: -model %s: %w", cfg.Model, err)
	}
	trainer, rule, err := NewTrainer(cfg, net, in.train.Batches())
	if err != nil {
		return nil, err
	}
	cfg = withRule(cfg, rule.Spec())

	res, err := resume(cfg, requested, net, trainer)
	if err != nil {
		return nil, err
	}
	resultPath := filepath.Join(cfg.Out, "result.json")
	if res != nil && res.Finished {
		return res, result.WriteJSON(resultPath, res)
	}
	resuming := res != nil
	if n := warmupSteps(cfg, rule.Spec(), in.train.Batches()); n > 0 && !resuming {
		if err := alignWarmup(cfg, net, trainer, in.train, n, w); err != nil {
			return nil, err
		}
	}
	if !resuming {
		res = &result.Record{Config: cfg, RequestedConfig: &requested, Params: model.CountWeights(net), Machine: machine(), Resume: &result.Resume{}}
	}
	metrics, err := openMetricsLog(filepath.Join(cfg.Out, "metrics.jsonl"), net, rule, res.Resume.Step, resuming)
	if err != nil {
		return nil, err
	}
	defer metrics.Close()
	l := &loop{ctx: ctx, cfg: cfg, net: net, trainer: trainer, metrics: metrics, in: in, res: res, w: w,
		wallBase: res.WallSeconds, start: start, resultPath: resultPath}
	if err := l.run(); err != nil {
		return nil, err
	}
	return res, nil
}

// ErrDiverged marks the error of a run whose loss stopped being a number
// or left the bound of loop.lossBound, or whose network gives the same
// output for every test image (train.Eval.Constant). Such a run is finished: its result.json says
// where it diverged and has no accuracy, so tables print it as diverged;
// a sweep runs it again only at half the rate, where its experiment
// allows (diverged_retries).
var ErrDiverged = errors.New("diverged")

// inputs is what a run trains and evaluates on, and the shape of its
// images.
type inputs struct {
	train, test             data.Source
	val                     data.Source // nil without result.Config.Val
	curve                   data.Source // nil without result.Config.CurveEvery
	channels, size, classes int
}

// loadInputs opens cfg's data: an in-memory data set normalised with its
// training set's per-channel statistics (optionally cropped and flipped),
// or ImageNet decoded on the fly with the paper's preprocessing.
func loadInputs(cfg result.Config) (*inputs, error) {
	if cfg.Data == "imagenet" {
		n, err := data.OpenImageNet(cfg.DataDir, 224)
		if err != nil {
			return nil, err
		}
		return &inputs{train: n.TrainSource(cfg.Seed, cfg.Batch), test: n.ValSource(cfg.Batch),
			channels: 3, size: n.Size, classes: n.Classes()}, nil
	}
	var trainSet, testSet *data.Dataset
	var err error
	if cfg.Data == "synthetic" {
		trainSet, testSet = data.Synthetic(1024, 1, 28, 28, 10, cfg.Seed), data.Synthetic(256, 1, 28, 28, 10, cfg.Seed+1)
	} else {
		dir := cfg.DataDir
		if cfg.Data == "mnist" && dir == "" {
			if dir, err = mnistDir(); err != nil {
				return nil, err
			}
		}
		if trainSet, testSet, err = data.Load(cfg.Data, dir); err != nil {
			return nil, err
		}
	}
	if cfg.Resize > 0 {
		if trainSet, err = trainSet.Resized(cfg.Resize); err != nil {
			return nil, err
		}
		if testSet, err = testSet.Resized(cfg.Resize); err != nil {
			return nil, err
		}
	}
	var valSet *data.Dataset
	if n := valCount(cfg.Val, trainSet.N); n > 0 {
		if n >= trainSet.N {
			return nil, fmt.Errorf("run: -val %v: holds out %d of the %d training images, want fewer", cfg.Val, n, trainSet.N)
		}
		valSet = trainSet.Slice(trainSet.N-n, trainSet.N)
		trainSet = trainSet.Slice(0, trainSet.N-n)
	}
	if cfg.TrainLimit > 0 && cfg.TrainLimit < trainSet.N {
		trainSet = trainSet.Slice(0, cfg.TrainLimit)
	}
	if cfg.TestLimit > 0 && cfg.TestLimit < testSet.N {
		testSet = testSet.Slice(0, cfg.TestLimit)
	}
	mean, std := trainSet.MeanStd()
	lcfg := data.LoaderConfig{Batch: cfg.Batch, Shuffle: true, Seed: cfg.Seed, Mean: mean, Std: std}
	if cfg.Augment {
		lcfg.CropPad, lcfg.Flip = 2, true
	}
	train, err := data.NewLoader(trainSet, lcfg)
	if err != nil {
		return nil, err
	}
	in := &inputs{train: train.Source(), channels: trainSet.C, size: trainSet.H, classes: trainSet.Classes}
	held := func(ds *data.Dataset) (data.Source, error) {
		l, err := data.NewLoader(ds, data.LoaderConfig{Batch: 500, Mean: mean, Std: std})
		if err != nil {
			return nil, err
		}
		return l.Source(), nil
	}
	if in.test, err = held(testSet); err != nil {
		return nil, err
	}
	curveSet := testSet
	if valSet != nil {
		if in.val, err = held(valSet); err != nil {
			return nil, err
		}
		curveSet = valSet
	}
	if cfg.CurveEvery > 0 {
		n := cfg.CurveImages
		if n == 0 {
			n = result.DefaultCurveImages
		}
		if in.curve, err = held(curveSet.Slice(0, min(n, curveSet.N))); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// valCount is the number of training images -val holds out: v itself, or
// the fraction v of n rounded to the nearest image.
func valCount(v float64, n int) int {
	if v < 1 {
		return int(math.Round(v * float64(n)))
	}
	return int(v)
}

// withRule returns cfg with the fields its rule derives, as result.json
// records them: the terms, input form, scale and time scale τ of a rule
// that trains B; a rule that does not has no alignment settings.
func withRule(cfg result.Config, spec align.Spec) result.Config {
	if !spec.TrainB {
		cfg.AlignScale, cfg.AlignTau, cfg.AlignNorm, cfg.AlignCenter, cfg.AlignWarmup = 0, 0, false, false, 0
		return cfg
	}
	cfg.AlignTerms = align.FormatTerms(spec.Terms)
	cfg.AlignInput = spec.Input()
	cfg.AlignScale = spec.Scale
	if tau, err := align.TimeScale(spec, cfg.AlignRate()); err == nil {
		cfg.AlignTau = tau
	}
	return cfg
}

// NewTrainer builds the rule (align.Resolve of cfg's request, which sets
// every layer's backward route) and the optimizers: one for W, BatchNorm and
// biases, and, when the rule trains B, one for B with the same momentum on
// the task schedule or on its own rate. Update noise goes to B's optimizer
// (site b) or to both (site all). withRule(cfg, rule.Spec()) is what the
// run records.
func NewTrainer(cfg result.Config, net nn.Module, stepsPerEpoch int) (*train.Trainer, *align.Rule, error) {
	total := cfg.Epochs * stepsPerEpoch
	req, err := cfg.RuleRequest(total)
	if err != nil {
		return nil, nil, err
	}
	spec, err := align.Resolve(req)
	if err != nil {
		return nil, nil, fmt.Errorf("run: -rule %s: %w", cfg.Rule, err)
	}
	rule, err := align.New(spec, nn.UntiedLayers(net), total, cfg.Seed)
	if err != nil {
		return nil, nil, err
	}
	noise, err := updateNoise(cfg, spec)
	if err != nil {
		return nil, nil, err
	}
	sched, err := schedule(cfg, cfg.LR, stepsPerEpoch)
	if err != nil {
		return nil, nil, err
	}
	task := optim.SGDConfig{LR: sched, Momentum: cfg.Momentum, Nesterov: cfg.Nesterov,
		WeightDecay: cfg.WeightDecay, Filter: optim.ExceptKinds(nn.Feedback)}
	if noise != nil && noise.Site == optim.SiteAll {
		task.Noise = noise
	}
	taskOpt, err := optim.NewSGD(net.Params(), task)
	if err != nil {
		return nil, nil, err
	}
	opts := []train.Optimizer{taskOpt}
	if spec.TrainB {
		if cfg.AlignLR > 0 {
			if sched, err = schedule(cfg, cfg.AlignLR, stepsPerEpoch); err != nil {
				return nil, nil, err
			}
		}
		bcfg := optim.SGDConfig{LR: sched, Momentum: cfg.Momentum, Nesterov: cfg.Nesterov, Filter: optim.OnlyKinds(nn.Feedback)}
		if noise != nil {
			n := *noise
			n.Seed++ // its own stream
			bcfg.Noise = &n
		}
		bOpt, err := optim.NewSGD(net.Params(), bcfg)
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, bOpt)
	}
	return train.New(net, rule, opts...), rule, nil
}

// updateNoise returns the update noise of cfg, or nil without it. Noise on
// B alone needs a rule that trains B.
func updateNoise(cfg result.Config, spec align.Spec) (*optim.Noise, error) {
	if cfg.NoiseVar == 0 {
		return nil, nil
	}
	site, err := optim.ParseSite(cfg.NoiseSite)
	if err != nil {
		return nil, fmt.Errorf("run: -noise-site: %w", err)
	}
	dist, err := noise.ParseDist(cfg.NoiseDist)
	if err != nil {
		return nil, fmt.Errorf("run: -noise-dist: %w", err)
	}
	if site == optim.SiteB && !spec.TrainB {
		return nil, fmt.Errorf("run: -noise-site b: rule %s does not train B; use -noise-site all", cfg.Rule)
	}
	return &optim.Noise{Variance: cfg.NoiseVar, Dist: dist, Site: site, Seed: cfg.Seed ^ 0x6e6f697365}, nil
}

// schedule returns cfg's learning-rate schedule in steps; "step" divides
// by 10 at cfg's milestones, by default the paper's (optim.PaperStepDecay)
// scaled to the run.
func schedule(cfg result.Config, lr float64, stepsPerEpoch int) (optim.Schedule, error) {
	total := cfg.Epochs * stepsPerEpoch
	warmup := int(cfg.WarmupEpochs * float64(stepsPerEpoch))
	switch cfg.Schedule {
	case "cosine":
		return optim.NewCosine(lr, total, warmup)
	case "step":
		fs, err := result.ParseMilestones(cfg.Milestones)
		if err != nil || fs == nil {
			return optim.PaperStepDecay(lr, total, warmup)
		}
		steps := make([]int, len(fs))
		for i, f := range fs {
			steps[i] = int(f * float64(total))
		}
		return optim.NewStepDecay(lr, warmup, steps, 0.1)
	}
	return optim.Constant(lr), nil
}

// newBar returns the epoch's progress bar on w, drawn only when w is a
// terminal: in a log file its carriage-return frames are noise, and the
// plain line each epoch ends with says what a log needs.
func newBar(w io.Writer, images, epoch, epochs int) *progressbar.ProgressBar {
	return progressbar.NewOptions(images,
		progressbar.OptionSetVisibility(isTerminal(w)),
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

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func machine() result.Machine {
	m := result.Machine{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GOMAXPROCS: runtime.GOMAXPROCS(0),
		NumCPU: runtime.NumCPU(), GoVersion: runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		m.Revision = revision(info.Settings)
	}
	if m.Revision == "" {
		m.Revision = buildRevision
	}
	return m
}

// buildRevision is the commit make builds from (git describe --dirty, set
// with -ldflags -X), for builds without Go's VCS stamp.
var buildRevision string

// revision is the VCS revision in a binary's build settings, with
// "-dirty" if the tree had uncommitted changes, or "" if there is none.
func revision(settings []debug.BuildSetting) string {
	var rev string
	dirty := false
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && dirty {
		rev += "-dirty"
	}
	return rev
}
