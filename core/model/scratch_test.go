package model_test

import (
	"math"
	"testing"

	"github.com/untied-ml/untied/core/align"
	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/core/train"
)

// TestSharedScratchIsExact: the convolutions of a network share one
// conv.Scratch and one nn.GradArena (but a post-activation projection's,
// whose block sums into its input gradient: Residual.OwnShortcutGrad), and
// the BatchNorms ending a residual branch or shortcut two nn.OutArenas
// (model.New); under every rule, every
// gradient, W's and B's, and the loss of two steps are bit for bit those
// of the same network whose convolutions each keep their own buffers. The
// second step (on a smaller batch) finds the shared buffers full of other layers' data, so a
// pass that read a pad it had not written, or a layer that read a
// gradient another had overwritten, would differ.
func TestSharedScratchIsExact(t *testing.T) {
	for _, cfg := range exactNets {
		for _, rule := range align.Presets() {
			shared, own := build(t, cfg, rule), build(t, cfg, rule)
			outs := 0
			// A post-activation projection's conv keeps its own input
			// gradient, into which the block adds the branch's.
			ownGrad := map[*nn.Conv2D]bool{}
			nn.Walk(own.Net, func(m nn.Module) {
				if r, ok := m.(*nn.Residual); ok && r.OwnShortcutGrad {
					nn.Walk(r.Shortcut, func(m nn.Module) {
						if c, ok := m.(*nn.Conv2D); ok {
							ownGrad[c] = true
						}
					})
					r.OwnShortcutGrad = false
				}
			})
			if (cfg.Arch == "resnet18" || cfg.Arch == "resnet50") && len(ownGrad) == 0 {
				t.Fatalf("%s: no projection keeps its own input gradient", cfg.Arch)
			}
			nn.Walk(own.Net, func(m nn.Module) {
				switch l := m.(type) {
				case *nn.Conv2D:
					if l.Scratch == nil || (l.Grads == nil) != ownGrad[l] {
						t.Fatalf("%s: model.New left %s without the shared buffers", cfg.Arch, l.Name)
					}
					l.Scratch, l.Grads = nil, nil
				case *nn.BatchNorm:
					if l.Out != nil {
						outs++
					}
					l.Out = nil
				}
			})
			if (cfg.Arch == "resnet18" || cfg.Arch == "resnet50" || cfg.Arch == "resnet20") && outs == 0 {
				t.Fatalf("%s: no BatchNorm writes into a shared output arena", cfg.Arch)
			}
			sameSteps(t, cfg, rule, "shared", "own", shared, own)
		}
	}
}

var exactNets = []model.Config{
	{Arch: "resnet18", Width: 4, Classes: 10, InChannels: 3, InputSize: 32, Seed: 1},                  // 7×7/2 stem, strided 3×3 and 1×1
	{Arch: "resnet50", Width: 4, Classes: 10, InChannels: 1, InputSize: 12, SmallStem: true, Seed: 2}, // bottlenecks, 3×3 and 2×2 maps
	{Arch: "resnet50v2", Width: 4, Classes: 10, InChannels: 1, InputSize: 12, SmallStem: true, Seed: 3},
	{Arch: "resnet20", Width: 4, Classes: 10, InChannels: 3, InputSize: 8, Seed: 4},
	{Arch: "lenet-mnist", Classes: 10, InChannels: 1, InputSize: 32, Seed: 5},
	{Arch: "lenet", Classes: 10, InChannels: 1, InputSize: 28, Seed: 6},
}

// TestFusionsAreExact: the neighbours model.New joins (a BatchNorm
// writing its output on the next convolution's input grid, a convolution
// gathering the next BatchNorm's statistics, which writes its input
// gradient on the convolution's output-gradient grid, a residual block's
// last BatchNorm writing the block's sum and ReLU) change no bit: under every
// rule, two training steps (the second on a smaller batch, so on another
// grid) and an evaluation pass give what the network without them gives.
// The ResNets do write on grids and gather sums.
func TestFusionsAreExact(t *testing.T) {
	for _, cfg := range exactNets {
		for _, rule := range align.Presets() {
			fused, plain := build(t, cfg, rule), build(t, cfg, rule)
			nn.Walk(plain.Net, func(m nn.Module) {
				switch l := m.(type) {
				case *nn.BatchNorm:
					l.GridFor, l.SumsFrom, l.GradGridFor = nil, nil, nil
				case *nn.Conv2D:
					l.GatherSums = false
				case *nn.Residual:
					l.FuseSum = false
				}
			})
			sameSteps(t, cfg, rule, "fused", "plain", fused, plain)
			if cfg.Arch == "lenet" || cfg.Arch == "lenet-mnist" {
				continue // no BatchNorm
			}
			x := tensor.New(6, cfg.InChannels, cfg.InputSize, cfg.InputSize)
			fused.Gradients(x, []int32{0, 1, 2, 3, 4, 5})
			var grids, sums, dyGrids int
			nn.Walk(fused.Net, func(m nn.Module) {
				if l, ok := m.(*nn.Conv2D); ok {
					if l.Input().Grid != nil {
						grids++
					}
					if l.OutputSums(l.Projection()) != nil {
						sums++
					}
					if l.OutputGrad().Grid != nil {
						dyGrids++
					}
				}
			})
			// dY stays dense under DFA (a transport) and where a rule asks
			// for a filter gradient beside W's (FilterAlong): BP and FA
			// must take it on grids.
			if grids == 0 || sums == 0 && !keepsPb(fused) || dyGrids == 0 && (rule == "bp" || rule == "fa") {
				t.Fatalf("%s %s: %d convolutions read x on a grid, %d dy on a grid, %d gathered sums", cfg.Arch, rule, grids, dyGrids, sums)
			}
		}
	}
}

// keepsPb reports whether a rule has the convolutions compute x∘B beside
// x∘W (conv.Op.ForwardPair), which gathers no sums.
func keepsPb(tr *train.Trainer) bool {
	var keep bool
	nn.Walk(tr.Net, func(m nn.Module) {
		if c, ok := m.(*nn.Conv2D); ok && c.FeedbackProjection() != nil {
			keep = true
		}
	})
	return keep
}

// sameSteps takes two training steps (batches of 6, then 4) and an
// evaluation pass with a and b and fails unless their losses, every
// gradient and the outputs are the same bits.
func sameSteps(t *testing.T, cfg model.Config, rule, aName, bName string, a, b *train.Trainer) {
	t.Helper()
	for step, n := range []int{6, 4} {
		x := tensor.New(n, cfg.InChannels, cfg.InputSize, cfg.InputSize)
		for i := range x.Data {
			x.Data[i] = float32(math.Sin(float64(i*(step+3)) * 0.37))
		}
		labels := []int32{0, 1, 2, 3, 4, 5}[:n]
		l1, _ := a.Gradients(x, labels)
		l2, _ := b.Gradients(x, labels)
		if l1 != l2 {
			t.Fatalf("%s %s step %d: loss %v %s, %v %s", cfg.Arch, rule, step, l1, aName, l2, bName)
		}
		p1, p2 := a.Net.Params(), b.Net.Params()
		for i := range p1 {
			for j, g := range p1[i].Grad.Data {
				if math.Float32bits(g) != math.Float32bits(p2[i].Grad.Data[j]) {
					t.Fatalf("%s %s step %d: %s gradient [%d] %v %s, %v %s", cfg.Arch, rule, step, p1[i].Name, j, g, aName, p2[i].Grad.Data[j], bName)
				}
			}
		}
		if step == 1 {
			y1, y2 := a.Net.Forward(x, false), b.Net.Forward(x, false)
			for j, v := range y1.Data[:y1.Len()] {
				if math.Float32bits(v) != math.Float32bits(y2.Data[j]) {
					t.Fatalf("%s %s: evaluation output [%d] %v %s, %v %s", cfg.Arch, rule, j, v, aName, y2.Data[j], bName)
				}
			}
		}
	}
}

// build returns a trainer of the network cfg under the rule's preset.
func build(t *testing.T, cfg model.Config, rule string) *train.Trainer {
	t.Helper()
	net, err := model.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := align.Preset(rule)
	if err != nil {
		t.Fatal(err)
	}
	r, err := align.New(spec, nn.UntiedLayers(net), 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	return train.New(net, r)
}
