package result

import (
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/untied-ml/untied/core/align"
	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/noise"
	"github.com/untied-ml/untied/core/optim"
)

// Config is everything that determines a run. It is recorded in full in
// result.json.
type Config struct {
	Data      string `json:"data"`     // fashion-mnist, mnist, cifar10, imagenet (with DataDir), or synthetic (tests)
	DataDir   string `json:"data_dir"` // "" = the data set's default location
	Model     string `json:"model"`
	Width     int    `json:"width"` // 0 = the published width
	SmallStem bool   `json:"small_stem"`
	Rule      string `json:"rule"`
	// Variant names the table row a run belongs to when it is not the
	// plain preset (e.g. "wm-tuned", a preset with tuned fields); "" for
	// the preset itself. Set by sweeps; tables group runs by it.
	Variant string  `json:"variant,omitempty"`
	Epochs  int     `json:"epochs"`
	Batch   int     `json:"batch"`
	LR      float64 `json:"lr"`
	// LRHalved counts the times a sweep halved the cell's learning rate
	// after its run diverged (an experiment's diverged_retries); LR is
	// already the halved rate, so it changes nothing in the run. Tables
	// mark such a rate.
	LRHalved int    `json:"lr_halved,omitempty"`
	Schedule string `json:"schedule"` // cosine, step, constant
	// Milestones are where the step schedule divides the rate by 10, as
	// fractions of the run ("0.5,0.75", BioTorch's epochs 50 and 75 of
	// 100); "" is the paper's 1/3, 2/3 and 8/9 (its epochs 30, 60, 80 of 90).
	Milestones   string  `json:"milestones,omitempty"`
	WarmupEpochs float64 `json:"warmup_epochs"`
	Momentum     float64 `json:"momentum"`
	Nesterov     bool    `json:"nesterov"`
	WeightDecay  float64 `json:"weight_decay"`
	Augment      bool    `json:"augment"`               // random crop (pad 2) and flip
	TrainLimit   int     `json:"train_limit,omitempty"` // use only the first N training images (0 = all)
	TestLimit    int     `json:"test_limit,omitempty"`  // evaluate on the first N test images only (0 = all)
	// Resize resizes every image to Resize×Resize (bilinear) before
	// anything else, as BioTorch feeds MNIST to its LeNet at 32×32; 0
	// keeps the data set's size.
	Resize int `json:"resize,omitempty"`
	// Val holds out the last images of the training set, never trained
	// on, and reports top-1 on them per epoch (val_top1): a count (≥ 1) or
	// a fraction of the training set (< 1). TrainLimit then counts from
	// the images that remain. Metaparameters are chosen on it, never on
	// the test set.
	Val float64 `json:"val,omitempty"`
	// CurveEvery > 0 evaluates every that many steps on a fixed slice of
	// CurveImages held-out images (the validation set if there is one,
	// else the test set; default 1000) and records the learning curve in
	// result.json.
	CurveEvery  int    `json:"curve_every,omitempty"`
	CurveImages int    `json:"curve_images,omitempty"`
	Seed        uint64 `json:"seed"`
	Threads     int    `json:"threads"` // GOMAXPROCS during the run
	Out         string `json:"out"`

	// Alignment of B (rules that train it).
	// Align is a custom composition, e.g. "decay=1e-3,self=2e-3", with
	// rule "custom"; with a preset it replaces the coefficients of some of
	// its terms (align.Spec.WithCoefficients), e.g. "amp=2e-3" on wm.
	Align       string  `json:"align,omitempty"`
	AlignTime   float64 `json:"align_time_fraction"`       // target τ/T of the alignment (docs/rules.md §5)
	AlignScale  float64 `json:"align_scale"`               // multiplier of the coefficients; 0 = derived from AlignTime, 1 = the raw reference coefficients
	AlignLR     float64 `json:"align_lr,omitempty"`        // base rate of a separate schedule for B; 0 = the task schedule
	AlignNorm   bool    `json:"align_norm"`                // divide activity terms by the layer's input energy (align.Spec.Normalize)
	AlignCenter bool    `json:"align_center,omitempty"`    // batch-centre the alignment input (align.Spec.Center)
	AlignWarmup float64 `json:"align_warmup,omitempty"`    // alignment-only steps before training, as a fraction of the run's steps
	AlignTau    float64 `json:"align_tau_steps,omitempty"` // τ in steps, recorded by Run
	AlignTerms  string  `json:"align_terms,omitempty"`     // the rule's raw coefficients, recorded by Run (multiplied by AlignScale in training)
	// AlignInputNoise > 0 replaces each layer's input in the alignment loss
	// by noise of that standard deviation (Weight Mirror's original form),
	// drawn from AlignInputDist (normal or uniform); 0 keeps the rule's own
	// input (white noise N(0, 1) for wm and ia, the data for the others).
	AlignInputNoise float64 `json:"align_input_noise,omitempty"`
	AlignInputDist  string  `json:"align_input_dist,omitempty"`
	// AlignInputBatch > 0 is how many samples a step the alignment terms
	// read (align.Spec.InputBatch): noise drawn, or the batch's first
	// images; the same expected gradient for B at a fraction of its
	// convolutions. 0 reads the whole batch.
	AlignInputBatch int `json:"align_input_batch,omitempty"`
	// AlignInput is the alignment input the run used, recorded by Run:
	// "data" or the noise ("normal σ=1"), with AlignInputBatch's samples
	// a step ("data, 16 a step").
	AlignInput string `json:"align_input,omitempty"`

	// Noisy updates (docs/rules.md §7).
	NoiseVar  float64 `json:"noise_var"`
	NoiseSite string  `json:"noise_site"` // b or all
	NoiseDist string  `json:"noise_dist"` // normal or uniform

	// NoMemoryCheck runs even when the memory estimate (EstimateMemory)
	// exceeds the machine's available memory. Not recorded: it cannot
	// change a result.
	NoMemoryCheck bool `json:"-"`

	MetricsEvery    int `json:"metrics_every"`    // steps between alignment measurements in metrics.jsonl; 0 = never
	CheckpointEvery int `json:"checkpoint_every"` // steps between checkpoints within an epoch (one is always written after each epoch); 0 = none
}

// Defaults returns the configuration the train command starts from: SGD
// with Nesterov momentum 0.9, lr 0.05 on a cosine schedule, batch 128,
// weight decay 1e-4 on W, alignment at τ/T = DefaultAlignTime.
func Defaults() Config {
	return Config{Data: "fashion-mnist", Model: "lenet", Rule: "bp", Epochs: 2, Batch: 128,
		LR: 0.05, Schedule: "cosine", Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4, Seed: 1,
		AlignTime: DefaultAlignTime, AlignNorm: true, NoiseSite: "all", NoiseDist: "normal", MetricsEvery: 100,
		CheckpointEvery: 200}
}

// DefaultLR is the learning rate untied train uses when -lr is not given:
// Defaults().LR (0.05) for the ResNets, whose BatchNorm keeps every rule
// stable there; for the LeNets (lenet, lenet-mnist), which have no
// normalisation and on which most rules diverge at backprop's rate, the
// rule's own rate from make repro-biotorch-lr (quick profile: TPE on a
// validation split, repro/results/biotorch-lenet-lr/quick/), the lower of
// its MNIST and Fashion-MNIST choices. Rules not searched there (the
// variants of WM and IA, custom compositions) take the lowest searched
// rate, at which every searched rule trains. The variants that align B on
// the data rather than on noise (wm-data, ia-data, ia-ampr) do not train
// on the LeNets at any rate tried (2 epochs of LeNet-5 on Fashion-MNIST:
// wm-data diverges at 5.8e-4 and reaches 18 % at 1.5e-4, the IA ones
// diverge at both); their fixed point scales with the activations'
// second moment, which nothing normalises on the LeNets (docs/rules.md,
// "Why the data is a poor input for WM and IA").
func DefaultLR(model, rule string) float64 {
	if model != "lenet" && model != "lenet-mnist" {
		return Defaults().LR
	}
	if lr, ok := leNetLR[rule]; ok {
		return lr
	}
	return slices.Min(slices.Collect(maps.Values(leNetLR)))
}

// leNetLR holds the searched LeNet rates (see DefaultLR).
var leNetLR = map[string]float64{
	"bp": 0.01692, "usf": 0.01692, "frsf": 0.01692, "brsf": 0.01484, "kp": 0.003234, "fa": 0.002294,
	"wm": 0.0005833, "dfa": 0.0005833, "ia": 0.0001526, "sa": 0.0001526, "aa": 0.0001526,
}

// DefaultAlignTime is the alignment time scale τ/T every table's short
// profiles use, shorter than the paper's 1 % (align.DefaultTimeFraction):
// on the quick profile (ResNet-18, 750 steps) AA did 1.4 points better at
// 0.003 than at 0.01, and the rules with a Decay term hit their floor of
// τ = 10 steps either way (align.MinTau).
const DefaultAlignTime = 0.003

// DefaultCurveImages is the size of the fixed held-out slice a learning
// curve is measured on.
const DefaultCurveImages = 1000

// Rules lists the learning rules this build knows: align's presets and
// "custom" (a composition given with -align).
func Rules() []string { return append(align.Presets(), "custom") }

var schedules = []string{"cosine", "step", "constant"}

// Validate reports the first bad field, naming it and what was expected.
func (c *Config) Validate() error {
	bad := func(field string, got any, want string) error {
		return fmt.Errorf("config: -%s %v: want %s", field, got, want)
	}
	datasets := []string{"fashion-mnist", "mnist", "cifar10", "imagenet", "synthetic"}
	switch {
	case !slices.Contains(datasets, c.Data):
		return bad("data", c.Data, "one of "+strings.Join(datasets, ", "))
	case !slices.Contains(model.Archs(), c.Model):
		return bad("model", c.Model, "one of "+strings.Join(model.Archs(), ", "))
	case c.Width < 0:
		return bad("width", c.Width, "≥ 0 (0 = the published width)")
	case !slices.Contains(Rules(), c.Rule):
		return bad("rule", c.Rule, "one of "+strings.Join(Rules(), ", "))
	case c.Epochs < 1:
		return bad("epochs", c.Epochs, "≥ 1")
	case c.Batch < 1:
		return bad("batch", c.Batch, "≥ 1")
	case !(c.LR > 0):
		return bad("lr", c.LR, "> 0")
	case c.LRHalved < 0:
		return bad("lr_halved", c.LRHalved, "≥ 0")
	case !slices.Contains(schedules, c.Schedule):
		return bad("schedule", c.Schedule, "one of "+strings.Join(schedules, ", "))
	case c.Milestones != "" && c.Schedule != "step":
		return bad("milestones", c.Milestones, `"" unless -schedule step`)
	case c.Resize < 0 || c.Resize > 0 && c.Data == "imagenet":
		return bad("resize", c.Resize, "≥ 0 (0 = the data set's size), and 0 with -data imagenet (decoded at 224×224)")
	case c.WarmupEpochs < 0 || c.WarmupEpochs >= float64(c.Epochs):
		return bad("warmup", c.WarmupEpochs, fmt.Sprintf("in [0, %d) epochs", c.Epochs))
	case c.Momentum < 0 || c.Momentum >= 1:
		return bad("momentum", c.Momentum, "in [0, 1)")
	case c.WeightDecay < 0:
		return bad("wd", c.WeightDecay, "≥ 0")
	case c.TrainLimit < 0:
		return bad("train-limit", c.TrainLimit, "≥ 0")
	case c.TestLimit < 0:
		return bad("test-limit", c.TestLimit, "≥ 0")
	case c.Threads < 0 || c.Threads > maxThreads():
		return bad("threads", c.Threads, fmt.Sprintf("in [0, %d] (0 = all cores; more than four per core only adds switching)", maxThreads()))
	case c.CheckpointEvery < 0:
		return bad("checkpoint-every", c.CheckpointEvery, "≥ 0 (0 = only after each epoch)")
	case c.Out == "":
		return bad("out", `""`, "a directory")
	case c.Rule == "custom" && c.Align == "":
		return bad("align", `""`, "a composition with -rule custom")
	case !(c.Val >= 0) || math.IsInf(c.Val, 0) || c.Val >= 1 && c.Val != math.Trunc(c.Val):
		return bad("val", c.Val, "a count of held-out images (≥ 1) or a fraction of the training set (< 1)")
	case c.Val > 0 && c.Data == "imagenet":
		return bad("val", c.Val, "0 with -data imagenet (hold out a folder of the training set by hand)")
	case c.CurveEvery < 0 || c.CurveImages < 0:
		return bad("curve-every/-curve-images", fmt.Sprint(c.CurveEvery, " ", c.CurveImages), "≥ 0")
	case !(c.AlignWarmup >= 0 && c.AlignWarmup <= 1):
		return bad("align-warmup", c.AlignWarmup, "a fraction of the run's steps in [0, 1]")
	case c.AlignTime < 0 || c.AlignScale < 0 || c.AlignLR < 0:
		return bad("align-time/-align-scale/-align-lr", fmt.Sprint(c.AlignTime, c.AlignScale, c.AlignLR), "≥ 0")
	case c.AlignInputNoise < 0 || (c.AlignInputNoise > 0 && c.AlignInputDist != "normal" && c.AlignInputDist != "uniform"):
		return bad("align-input-noise/-align-input-dist", fmt.Sprint(c.AlignInputNoise, " ", c.AlignInputDist), "σ ≥ 0 and normal or uniform")
	case c.AlignInputBatch < 0 || c.AlignInputBatch > c.Batch:
		return bad("align-input-batch", c.AlignInputBatch, fmt.Sprintf("a number of samples from 1 to -batch (%d), or 0 for the whole batch", c.Batch))
	case c.NoiseVar < 0:
		return bad("noise-var", c.NoiseVar, "≥ 0")
	case c.MetricsEvery < 0:
		return bad("metrics-every", c.MetricsEvery, "≥ 0")
	}
	if _, err := ParseMilestones(c.Milestones); err != nil {
		return bad("milestones", c.Milestones, "fractions of the run in (0, 1), increasing, comma-separated")
	}
	if _, err := optim.ParseSite(c.NoiseSite); err != nil {
		return bad("noise-site", c.NoiseSite, "b or all")
	}
	if _, err := noise.ParseDist(c.NoiseDist); err != nil {
		return bad("noise-dist", c.NoiseDist, "normal or uniform")
	}
	if c.Align != "" || c.AlignInputBatch > 0 {
		req, err := c.RuleRequest(1)
		if err != nil {
			return err
		}
		if _, err := align.Resolve(req); err != nil {
			flag := "-align"
			if c.Align == "" {
				flag = "-align-input-batch"
			}
			return fmt.Errorf("config: %s with -rule %s: %w", flag, c.Rule, err)
		}
	}
	return nil
}

// maxThreads bounds -threads: four per core.
func maxThreads() int { return 4 * runtime.NumCPU() }

// RuleRequest is the align.Request of cfg for a run of totalSteps, which
// align.Resolve turns into the rule.
func (cfg Config) RuleRequest(totalSteps int) (align.Request, error) {
	req := align.Request{Rule: cfg.Rule, Normalize: cfg.AlignNorm, Center: cfg.AlignCenter,
		Scale: cfg.AlignScale, TimeFraction: cfg.AlignTime, LR: cfg.AlignRate(), TotalSteps: totalSteps,
		InputBatch: cfg.AlignInputBatch}
	if cfg.Align != "" {
		terms, err := align.ParseTerms(cfg.Align)
		if err != nil {
			return req, fmt.Errorf("config: -align: %w", err)
		}
		req.Terms = terms
	}
	if cfg.AlignInputNoise > 0 {
		dist, err := noise.ParseDist(cfg.AlignInputDist)
		if err != nil {
			return req, fmt.Errorf("config: -align-input-dist: %w", err)
		}
		req.InputNoise = &align.InputNoise{Dist: dist, Sigma: cfg.AlignInputNoise}
	}
	return req, nil
}

// AlignRate is the base rate B learns at: its own, or the task's.
func (cfg Config) AlignRate() float64 {
	if cfg.AlignLR > 0 {
		return cfg.AlignLR
	}
	return cfg.LR
}

// ParseMilestones parses Config.Milestones: increasing fractions of the
// run in (0, 1), comma-separated; nil for "".
func ParseMilestones(s string) ([]float64, error) {
	if s == "" {
		return nil, nil
	}
	var fs []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(v > 0 && v < 1) || len(fs) > 0 && v <= fs[len(fs)-1] {
			return nil, fmt.Errorf("milestones %q: want increasing fractions in (0, 1)", s)
		}
		fs = append(fs, v)
	}
	return fs, nil
}
