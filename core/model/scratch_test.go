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
// conv.Scratch and one nn.GradArena (model.New); under every rule, every
// gradient, W's and B's, and the loss of two steps are bit for bit those
// of the same network whose convolutions each keep their own buffers. The
// second step finds the shared buffers full of other layers' data, so a
// pass that read a pad it had not written, or a layer that read a
// gradient another had overwritten, would differ.
func TestSharedScratchIsExact(t *testing.T) {
	nets := []model.Config{
		{Arch: "resnet18", Width: 4, Classes: 10, InChannels: 3, InputSize: 32, Seed: 1},                  // 7×7/2 stem, strided 3×3 and 1×1
		{Arch: "resnet50", Width: 4, Classes: 10, InChannels: 1, InputSize: 12, SmallStem: true, Seed: 2}, // bottlenecks, 3×3 and 2×2 maps
		{Arch: "resnet50v2", Width: 4, Classes: 10, InChannels: 1, InputSize: 12, SmallStem: true, Seed: 3},
		{Arch: "resnet20", Width: 4, Classes: 10, InChannels: 3, InputSize: 8, Seed: 4},
		{Arch: "lenet-mnist", Classes: 10, InChannels: 1, InputSize: 32, Seed: 5},
		{Arch: "lenet", Classes: 10, InChannels: 1, InputSize: 28, Seed: 6},
	}
	for _, cfg := range nets {
		for _, rule := range align.Presets() {
			shared, own := build(t, cfg, rule), build(t, cfg, rule)
			nn.Walk(own.Net, func(m nn.Module) {
				if c, ok := m.(*nn.Conv2D); ok {
					if c.Scratch == nil || c.Grads == nil {
						t.Fatalf("%s: model.New left %s without the shared buffers", cfg.Arch, c.Name)
					}
					c.Scratch, c.Grads = nil, nil
				}
			})
			for step := 0; step < 2; step++ {
				x := tensor.New(6, cfg.InChannels, cfg.InputSize, cfg.InputSize)
				for i := range x.Data {
					x.Data[i] = float32(math.Sin(float64(i*(step+3)) * 0.37))
				}
				labels := []int32{0, 1, 2, 3, 4, 5}
				l1, _ := shared.Gradients(x, labels)
				l2, _ := own.Gradients(x, labels)
				if l1 != l2 {
					t.Fatalf("%s %s step %d: loss %v shared, %v own", cfg.Arch, rule, step, l1, l2)
				}
				p1, p2 := shared.Net.Params(), own.Net.Params()
				for i := range p1 {
					for j, g := range p1[i].Grad.Data {
						if math.Float32bits(g) != math.Float32bits(p2[i].Grad.Data[j]) {
							t.Fatalf("%s %s step %d: %s gradient [%d] %v shared, %v own", cfg.Arch, rule, step, p1[i].Name, j, g, p2[i].Grad.Data[j])
						}
					}
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
