// Command untied trains networks with untied forward and feedback weights
// and reproduces the experiments of Kunin et al. 2020.
//
// Usage:
//
//	untied train -data fashion-mnist -model lenet -rule fa -epochs 2 -out runs/lenet-fa
//
// Run "untied help" or "untied train -h" for the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/repro/result"
	"github.com/untied-ml/untied/repro/run"
	"github.com/untied-ml/untied/repro/sweep"
)

func main() {
	os.Exit(mainErr(os.Args[1:], os.Stdout, os.Stderr))
}

// mainErr runs the command and returns its exit status: 0 on success, 2 on
// a usage error, 1 on any other failure.
func mainErr(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "train":
		return trainCmd(args[1:], stdout, stderr)
	case "grad":
		return gradCmd(args[1:], stdout, stderr)
	case "sweep":
		return sweepCmd(args[1:], stdout, stderr)
	case "table":
		return tableCmd(args[1:], stdout, stderr)
	case "tune":
		return tuneCmd(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "untied: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `untied trains networks whose backward pass uses feedback weights B, not W.

Commands:
  train   train one model with one learning rule; writes DIR/result.json
  grad    one step's gradients of a model, state and batch (.npz in, .npz out)
  sweep   run the cells of an experiment (make repro-table1, repro-noise), then render its tables
  table   render an experiment's tables from its result files alone
  tune    search a rule's metaparameters with TPE on a validation split (make repro-tune)

Run "untied train -h" for its flags.
`)
}

func trainCmd(args []string, stdout, stderr io.Writer) int {
	cfg := result.Defaults()
	fs := flag.NewFlagSet("untied train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Data, "data", cfg.Data, "data set: fashion-mnist, mnist, cifar10 (binary version, with -data-dir) or synthetic")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "directory of the data set's files (default: where its package installs them)")
	fs.StringVar(&cfg.Model, "model", cfg.Model, "architecture: "+strings.Join(model.Archs(), ", "))
	fs.IntVar(&cfg.Width, "width", 0, "channels of the first residual group (0 = published width: 64, or 16 for CIFAR ResNets)")
	fs.StringVar(&cfg.Rule, "rule", cfg.Rule, "learning rule: "+strings.Join(result.Rules(), ", "))
	fs.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "training epochs")
	fs.IntVar(&cfg.Batch, "batch", cfg.Batch, "batch size")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "base learning rate; on the LeNets, when not given, the rule's own (README, \"Training one model\")")
	fs.StringVar(&cfg.Schedule, "schedule", cfg.Schedule, "learning-rate schedule: cosine, step (÷10 at -milestones) or constant")
	fs.StringVar(&cfg.Milestones, "milestones", "", `where -schedule step divides by 10, as fractions of the run, e.g. "0.5,0.75" (default: 1/3, 2/3, 8/9, the paper's epochs 30, 60, 80 of 90)`)
	fs.Float64Var(&cfg.WarmupEpochs, "warmup", 0, "linear warm-up, in epochs")
	fs.Float64Var(&cfg.Momentum, "momentum", cfg.Momentum, "SGD momentum")
	fs.BoolVar(&cfg.Nesterov, "nesterov", cfg.Nesterov, "Nesterov momentum")
	fs.Float64Var(&cfg.WeightDecay, "wd", cfg.WeightDecay, "L2 weight decay on forward weights W")
	fs.BoolVar(&cfg.Augment, "augment", false, "random crop (pad 2) and horizontal flip")
	fs.IntVar(&cfg.TrainLimit, "train-limit", 0, "train on the first N images only (0 = all)")
	fs.IntVar(&cfg.TestLimit, "test-limit", 0, "evaluate on the first N test images only (0 = all)")
	fs.IntVar(&cfg.Resize, "resize", 0, "resize the images to N×N, bilinear (0 = as stored; default: the model's input size if it has one, 32 for lenet-mnist, as BioTorch feeds MNIST to its LeNet)")
	fs.Float64Var(&cfg.Val, "val", 0, "hold out the last N training images (or this fraction, if < 1), never trained on, and report val_top1 on them per epoch")
	fs.IntVar(&cfg.CurveEvery, "curve-every", 0, "every N steps, record top-1 on a fixed held-out slice (validation set if -val, else test set) in result.json's curve (0 = none)")
	fs.IntVar(&cfg.CurveImages, "curve-images", result.DefaultCurveImages, "images in -curve-every's held-out slice")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of initialisation, shuffling and augmentation")
	fs.IntVar(&cfg.Threads, "threads", 0, "GOMAXPROCS for the run (0 = all cores)")
	fs.StringVar(&cfg.Out, "out", "", "output directory (default runs/<data>-<model>-<rule>-s<seed>)")
	fs.StringVar(&cfg.Align, "align", "", `a custom alignment loss, e.g. "decay=1e-3,self=2e-3" (primitives: decay, amp, null, nullb, sparse, self), which implies -rule custom; with a -rule that trains B, new coefficients for its terms (e.g. -rule wm -align amp=2e-3)`)
	fs.Float64Var(&cfg.AlignTime, "align-time", cfg.AlignTime, "alignment time scale τ as a fraction of the run; the coefficients are scaled to reach it (docs/alignment.md)")
	fs.Float64Var(&cfg.AlignScale, "align-scale", 0, "multiply the alignment coefficients by this instead of deriving it from -align-time")
	raw := fs.Bool("align-raw", false, "the reference code's alignment: raw coefficients (-align-scale 1), no normalisation (-align-norm=false)")
	fs.BoolVar(&cfg.AlignNorm, "align-norm", cfg.AlignNorm, "divide each layer's activity terms (amp, null, sparse) by its input energy, so a fast alignment stays stable")
	fs.BoolVar(&cfg.AlignCenter, "align-center", false, "batch-centre each layer's input in the alignment loss (its covariance, not its second moment, sets the alignment)")
	fs.Float64Var(&cfg.AlignWarmup, "align-warmup", 0, "before training, align B alone (W fixed) for this fraction of the run's steps, on its first batches")
	fs.Float64Var(&cfg.AlignLR, "align-lr", 0, "base learning rate of a separate optimizer for B (0 = the task's schedule)")
	fs.Float64Var(&cfg.AlignInputNoise, "align-input-noise", 0, "replace each layer's input in the alignment loss by noise of this standard deviation (0 = the rule's own input: N(0, 1) noise for wm and ia, the data for wm-data, ia-data and the others)")
	fs.StringVar(&cfg.AlignInputDist, "align-input-dist", "normal", "distribution of -align-input-noise: normal or uniform")
	fs.IntVar(&cfg.AlignInputBatch, "align-input-batch", 0, "samples a step the alignment terms read, noise drawn or the batch's first images (0 = the whole batch): the same expected B gradient at a fraction of the alignment's convolutions")
	fs.Float64Var(&cfg.NoiseVar, "noise-var", 0, "variance of the update noise added after each step, scaled by the learning rate (0 = none)")
	fs.StringVar(&cfg.NoiseSite, "noise-site", cfg.NoiseSite, "where update noise goes: b (feedback weights only) or all (every trained weight)")
	fs.StringVar(&cfg.NoiseDist, "noise-dist", cfg.NoiseDist, "update noise distribution: normal or uniform")
	fs.IntVar(&cfg.MetricsEvery, "metrics-every", cfg.MetricsEvery, "steps between alignment measurements in DIR/metrics.jsonl (0 = none)")
	fs.IntVar(&cfg.CheckpointEvery, "checkpoint-every", cfg.CheckpointEvery, "steps between checkpoints within an epoch (one is always written after each epoch; 0 = only those)")
	fs.BoolVar(&cfg.NoMemoryCheck, "no-memory-check", false, "run even if the memory estimate exceeds the machine's available memory")
	estimate := fs.Bool("memory", false, "print the run's memory estimate and exit without training")
	tuned := fs.String("tuned", "", "a setting untied tune chose (e.g. repro/results/tune/quick/resnet18-wm-best.json): its rule and alignment fields, over the flags")
	quiet := fs.Bool("quiet", false, "no progress bar (it is drawn only on a terminal anyway); the line each epoch ends with stays")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "untied train: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if *raw {
		cfg.AlignScale, cfg.AlignNorm = 1, false
	}
	if cfg.Align != "" && !flagSet(fs, "rule") {
		cfg.Rule = "custom"
	}
	if !flagSet(fs, "lr") {
		cfg.LR = result.DefaultLR(cfg.Model, cfg.Rule)
	}
	if !flagSet(fs, "resize") {
		cfg.Resize = model.InputSize(cfg.Model) // lenet-mnist takes MNIST at 32, as BioTorch feeds it
	}
	if *tuned != "" {
		asked := cfg.Rule
		t, err := sweep.ReadTuned(*tuned)
		if err == nil {
			err = t.Apply(&cfg)
		}
		if err != nil {
			fmt.Fprintf(stderr, "untied train: -tuned: %v\n", err)
			return 2
		}
		if flagSet(fs, "rule") && asked != cfg.Rule {
			fmt.Fprintf(stderr, "untied train: -tuned %s is a setting of rule %s, not -rule %s\n", *tuned, cfg.Rule, asked)
			return 2
		}
	}
	if cfg.Out == "" {
		cfg.Out = fmt.Sprintf("runs/%s-%s-%s-s%d", cfg.Data, cfg.Model, cfg.Rule, cfg.Seed)
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "untied train: %v\n", err)
		fs.Usage()
		return 2
	}
	if *estimate {
		m, err := run.EstimateMemory(cfg)
		if err != nil {
			fmt.Fprintf(stderr, "untied train: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "memory: %.0f bytes, about %v\n", m.Total(), m)
		return 0
	}
	var progress io.Writer = stderr
	if *quiet {
		progress = linesOnly{stderr}
	}
	ctx, stop := interruptible()
	defer stop()
	res, err := run.RunContext(ctx, cfg, progress)
	if errors.Is(err, run.ErrFinished) {
		fmt.Fprintf(stdout, "%s already holds a finished run (kept; remove it to train again)\n", cfg.Out)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "untied train: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s %s on %s: test top-1 %.2f%%, top-5 %.2f%%, %.0f img/s, %.0f s; wrote %s/result.json\n",
		cfg.Rule, cfg.Model, cfg.Data, res.TestTop1, res.TestTop5, res.ImagesPerSec, res.WallSeconds, cfg.Out)
	return 0
}

// linesOnly writes to W but is no terminal, so a run draws no progress bar
// on it and prints only its plain lines.
type linesOnly struct{ io.Writer }

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// interruptible returns a context that Ctrl-C or SIGTERM cancels: the run
// in progress then writes a checkpoint, and the same command resumes it.
func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
