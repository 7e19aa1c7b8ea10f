package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/untied-ml/untied/core/align"
	"github.com/untied-ml/untied/core/checkpoint"
	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/npz"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/core/train"
)

// gradConfig is what "untied grad" computes.
type gradConfig struct {
	Model, Rule, Align string
	Width, Classes     int
	Seed               uint64
	AlignScale         float64
	AlignNorm          bool
	State, SaveState   string
	Batch, Out         string
}

func gradCmd(args []string, stdout, stderr io.Writer) int {
	var cfg gradConfig
	fs := flag.NewFlagSet("untied grad", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: untied grad -batch b.npz -out g.npz [flags]

Computes one training step's gradients (no update) and writes them to an
.npz file that numpy.load reads; docs/checkpoints.md names every array.

`)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.Model, "model", "lenet", "architecture: "+strings.Join(model.Archs(), ", "))
	fs.IntVar(&cfg.Width, "width", 0, "channels of the first residual group (0 = published width)")
	fs.StringVar(&cfg.Rule, "rule", "bp", "learning rule: "+strings.Join(align.Presets(), ", ")+", custom")
	fs.StringVar(&cfg.Align, "align", "", `a custom alignment loss, e.g. "decay=1e-3,self=2e-3"; implies -rule custom`)
	fs.Float64Var(&cfg.AlignScale, "align-scale", 0, "multiply the alignment coefficients by this (0 = 1: the reference coefficients)")
	fs.BoolVar(&cfg.AlignNorm, "align-norm", false, "divide activity terms by the layer's input energy (align.Spec.Normalize; off in the reference code)")
	fs.IntVar(&cfg.Classes, "classes", 10, "number of classes (logits per image)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the initialisation (without -state) and of the rule's random draws")
	fs.StringVar(&cfg.State, "state", "", "network state to load (.npz from -save-state or a checkpoint); default: initialise from -seed")
	fs.StringVar(&cfg.SaveState, "save-state", "", "write the network state used (before the step) to this .npz")
	fs.StringVar(&cfg.Batch, "batch", "", "input batch (.npz): x float32 [N, C, H, W], y integer labels [N] (required)")
	fs.StringVar(&cfg.Out, "out", "", "output gradients (.npz) (required)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if cfg.Align != "" && !flagSet(fs, "rule") {
		cfg.Rule = "custom"
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "untied grad: "+format+"\n\n", a...)
		fs.Usage()
		return 2
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if _, err := gradSpec(cfg); err != nil {
		return usageErr("%v", err)
	}
	switch {
	case cfg.Batch == "":
		return usageErr("-batch is required")
	case cfg.Out == "":
		return usageErr("-out is required")
	case !knownArch(cfg.Model):
		return usageErr("-model %q: known: %s", cfg.Model, strings.Join(model.Archs(), ", "))
	case cfg.Width < 0:
		return usageErr("-width %d, want ≥ 0", cfg.Width)
	case cfg.Classes < 2:
		return usageErr("-classes %d, want ≥ 2", cfg.Classes)
	}
	arrays, err := computeGrad(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "untied grad: %v\n", err)
		return 1
	}
	if err := npz.Write(cfg.Out, arrays); err != nil {
		fmt.Fprintf(stderr, "untied grad: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s %s: loss %.6f; wrote %d arrays to %s\n", cfg.Rule, cfg.Model, arrays["loss"].Data[0], len(arrays), cfg.Out)
	return 0
}

func knownArch(name string) bool {
	for _, a := range model.Archs() {
		if a == name {
			return true
		}
	}
	return false
}

// gradSpec returns the rule of cfg, resolved as untied train resolves it
// (align.Resolve) but at the reference coefficients (Scale 1) unless
// -align-scale is given: one step has no run length to derive a scale from.
func gradSpec(cfg gradConfig) (align.Spec, error) {
	req := align.Request{Rule: cfg.Rule, Scale: cfg.AlignScale, Normalize: cfg.AlignNorm}
	if cfg.Align != "" {
		terms, err := align.ParseTerms(cfg.Align)
		if err != nil {
			return align.Spec{}, fmt.Errorf("-align: %w", err)
		}
		req.Terms = terms
	}
	if !(cfg.AlignScale >= 0) {
		return align.Spec{}, fmt.Errorf("-align-scale %v, want ≥ 0", cfg.AlignScale)
	}
	if req.Scale == 0 {
		req.Scale = 1
	}
	spec, err := align.Resolve(req)
	if err != nil {
		return spec, fmt.Errorf("-rule %s: %w", cfg.Rule, err)
	}
	return spec, nil
}

// loadBatch reads x [N, C, H, W] (float, H = W) and y [N] (integers in
// [0, classes)) from an .npz file.
func loadBatch(path string, classes int) (*tensor.Tensor, []int32, error) {
	arrays, err := npz.Read(path)
	if err != nil {
		return nil, nil, err
	}
	x, ok := arrays["x"]
	switch {
	case !ok:
		return nil, nil, fmt.Errorf("%s: no array x (the images, float32 [N, C, H, W])", path)
	case x.Data == nil:
		return nil, nil, fmt.Errorf("%s: x is an integer array, want float32 [N, C, H, W]", path)
	case len(x.Shape) != 4 || x.Shape[0] < 1 || x.Shape[1] < 1 || x.Shape[2] != x.Shape[3]:
		return nil, nil, fmt.Errorf("%s: x has shape %v, want [N, C, H, W] with N, C ≥ 1 and H = W", path, x.Shape)
	}
	y, ok := arrays["y"]
	if !ok {
		return nil, nil, fmt.Errorf("%s: no array y (the labels, integers [N])", path)
	}
	labels, err := y.Labels()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: y: %v", path, err)
	}
	if len(y.Shape) != 1 || y.Shape[0] != x.Shape[0] {
		return nil, nil, fmt.Errorf("%s: y has shape %v, want [%d] (one label per image of x)", path, y.Shape, x.Shape[0])
	}
	for i, l := range labels {
		if l < 0 || int(l) >= classes {
			return nil, nil, fmt.Errorf("%s: y[%d] = %d, want a class in [0, %d) (see -classes)", path, i, l, classes)
		}
	}
	return tensor.FromData(x.Data, x.Shape...), labels, nil
}

// computeGrad runs one step's gradient computation as untied train does,
// without the update (train.Trainer.Gradients). It returns the arrays
// docs/checkpoints.md describes.
func computeGrad(cfg gradConfig) (map[string]npz.Array, error) {
	x, labels, err := loadBatch(cfg.Batch, cfg.Classes)
	if err != nil {
		return nil, err
	}
	_, c, h, _ := x.NCHW()
	net, err := model.New(model.Config{Arch: cfg.Model, Width: cfg.Width, Classes: cfg.Classes,
		InChannels: c, InputSize: h, SmallStem: h < 64, Seed: cfg.Seed})
	if err != nil {
		return nil, fmt.Errorf("-model %s on x of shape %v: %w", cfg.Model, x.Shape, err)
	}
	if cfg.State != "" {
		if err := checkpoint.Load(cfg.State, net); err != nil {
			return nil, err
		}
	}
	if cfg.SaveState != "" {
		if err := checkpoint.Save(cfg.SaveState, net); err != nil {
			return nil, err
		}
	}
	spec, err := gradSpec(cfg)
	if err != nil {
		return nil, err
	}
	layers := nn.UntiedLayers(net)
	rule, err := align.New(spec, layers, 0, cfg.Seed)
	if err != nil {
		return nil, err
	}
	tr := train.New(net, rule)
	loss, _ := tr.Gradients(x, labels)

	out := map[string]npz.Array{
		"loss":   {Shape: []int{}, Data: []float32{float32(loss)}},
		"logits": array(tr.Logits()),
	}
	for _, l := range layers {
		w, b := l.Weights()
		name := strings.TrimSuffix(w.Name, ".W")
		dy := l.OutputGrad()
		route := w
		if l.Route() == nn.FeedbackRoute {
			route = b
		}
		// The first layer computes no input gradient; Transpose gives it
		// anyway, and for every other layer the same value Backward sent
		// on (under direct feedback alignment, what B would have sent: the
		// layer's input gradient is then the projected output error).
		out[name+".dy"] = array(dy.Dense(nil)) // it may lie on a grid
		out[name+".dx"] = array(l.Transpose(dy, route.Value.Data, nil))
	}
	for _, p := range net.Params() {
		out[gradName(p.Name)] = array(p.Grad)
	}
	return out, nil
}

// gradName maps a parameter's name to its gradient's: layer.W → layer.dW,
// bn.gamma → bn.dgamma.
func gradName(param string) string {
	i := strings.LastIndexByte(param, '.')
	return param[:i+1] + "d" + param[i+1:]
}

// array copies a tensor into an npz array.
func array(t *tensor.Tensor) npz.Array {
	return npz.Array{Shape: append([]int{}, t.Shape...), Data: append([]float32{}, t.Data[:t.Len()]...)}
}
