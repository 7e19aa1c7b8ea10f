package model

import (
	"fmt"

	"github.com/untied-ml/untied/core/nn"
)

// expansion is the ratio of a bottleneck block's output channels to its
// inner width.
const expansion = 4

// stem returns the first layers of an ImageNet ResNet, with w output
// channels: conv (+ BN + ReLU in v1) (+ 3×3/2 max-pool unless SmallStem).
func (b *builder) stem(cfg Config, a arch, w int) nn.Module {
	var conv *nn.Conv2D
	if cfg.SmallStem {
		conv = b.conv("stem.conv", cfg.InChannels, w, 3, 1)
	} else {
		conv = b.conv("stem.conv", cfg.InChannels, w, 7, 2)
	}
	conv.NoInputGrad = true
	layers := []nn.Module{conv}
	if a.family == resnetV1 {
		layers = append(layers, b.bnReLU("stem.bn", w))
	}
	if !cfg.SmallStem {
		layers = append(layers, nn.NewMaxPool(3, 2, 1))
	}
	return nn.NewSequential(layers...)
}

// resNet builds an ImageNet ResNet (v1 or v2): stem, four groups of widths
// w, 2w, 4w, 8w at strides 1, 2, 2, 2 with a projection shortcut on each
// group's first block, (v2: BN + ReLU,) global average pool, dense.
func (b *builder) resNet(cfg Config, a arch) nn.Module {
	w := cfg.Width
	if w == 0 {
		w = 64
	}
	layers := []nn.Module{b.stem(cfg, a, w)}
	in := w
	for g, n := range a.blocks {
		width, stride := w<<g, 2
		if g == 0 {
			stride = 1
		}
		blocks := make([]nn.Module, n)
		for i := range blocks {
			name := fmt.Sprintf("layer%d.%d", g+1, i)
			s := 1
			if i == 0 {
				s = stride
			}
			var out int
			switch {
			case a.family == resnetV2:
				blocks[i], out = b.bottleneckV2(name, in, width, s, i == 0)
			case a.bottleneck:
				blocks[i], out = b.bottleneckV1(name, in, width, s, i == 0)
			default:
				blocks[i], out = b.basic(name, in, width, s, i == 0, true)
			}
			in = out
		}
		layers = append(layers, nn.NewSequential(blocks...))
	}
	if a.family == resnetV2 {
		layers = append(layers, b.bnReLU("final.bn", in))
	}
	layers = append(layers, &nn.GlobalAvgPool{}, nn.NewDense("fc", in, cfg.Classes, true, b.rng))
	return nn.NewSequential(layers...)
}

// cifarResNet builds the CIFAR ResNet of He et al. (2016, §4.2): a 3×3
// stem conv + BN + ReLU, three groups of basic blocks of widths w, 2w, 4w at
// strides 1, 2, 2, a projection shortcut only where the shape changes,
// global average pool, dense.
func (b *builder) cifarResNet(cfg Config, a arch) nn.Module {
	w := cfg.Width
	if w == 0 {
		w = 16
	}
	conv := b.conv("stem.conv", cfg.InChannels, w, 3, 1)
	conv.NoInputGrad = true
	layers := []nn.Module{nn.NewSequential(conv, b.bnReLU("stem.bn", w))}
	in := w
	for g, n := range a.blocks {
		width := w << g
		blocks := make([]nn.Module, n)
		for i := range blocks {
			s := 1
			if i == 0 && g > 0 {
				s = 2
			}
			blocks[i], in = b.basic(fmt.Sprintf("layer%d.%d", g+1, i), in, width, s, s != 1 || in != width, false)
		}
		layers = append(layers, nn.NewSequential(blocks...))
	}
	layers = append(layers, &nn.GlobalAvgPool{}, nn.NewDense("fc", in, cfg.Classes, true, b.rng))
	return nn.NewSequential(layers...)
}

// projV1 is a v1 projection shortcut: 1×1 conv + BN.
func (b *builder) projV1(name string, in, out, stride int) nn.Module {
	return nn.NewSequential(b.conv(name+".conv", in, out, 1, stride), b.bn(name+".bn", out, false))
}

// basic is a post-activation basic block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)),
// with a projection shortcut if proj, and bn2's γ starting at 0 if zeroGamma.
func (b *builder) basic(name string, in, width, stride int, proj, zeroGamma bool) (*nn.Residual, int) {
	r := &nn.Residual{PostReLU: true, Branch: nn.NewSequential(
		b.conv(name+".conv1", in, width, 3, stride), b.bnReLU(name+".bn1", width),
		b.conv(name+".conv2", width, width, 3, 1), b.bn(name+".bn2", width, zeroGamma),
	)}
	if proj {
		r.Shortcut = b.projV1(name+".proj", in, width, stride)
	}
	return r, width
}

// bottleneckV1 is a post-activation bottleneck block: 1×1 to width, 3×3
// (with the stride), 1×1 to 4·width, each followed by BN (the last with γ =
// 0) and all but the last by ReLU; add the shortcut; ReLU.
func (b *builder) bottleneckV1(name string, in, width, stride int, proj bool) (*nn.Residual, int) {
	out := expansion * width
	r := &nn.Residual{PostReLU: true, Branch: nn.NewSequential(
		b.conv(name+".conv1", in, width, 1, 1), b.bnReLU(name+".bn1", width),
		b.conv(name+".conv2", width, width, 3, stride), b.bnReLU(name+".bn2", width),
		b.conv(name+".conv3", width, out, 1, 1), b.bn(name+".bn3", out, true),
	)}
	if proj {
		r.Shortcut = b.projV1(name+".proj", in, out, stride)
	}
	return r, out
}

// bottleneckV2 is a pre-activation bottleneck block: h = relu(bn0(x)), then
// 1×1-BN-ReLU-3×3(stride)-BN-ReLU-1×1 on h, plus a projection (a bare 1×1
// conv, as in the reference code) of h or the identity x.
func (b *builder) bottleneckV2(name string, in, width, stride int, proj bool) (*nn.Residual, int) {
	out := expansion * width
	r := &nn.Residual{
		Pre: b.bnReLU(name+".pre.bn", in),
		Branch: nn.NewSequential(
			b.conv(name+".conv1", in, width, 1, 1), b.bnReLU(name+".bn1", width),
			b.conv(name+".conv2", width, width, 3, stride), b.bnReLU(name+".bn2", width),
			b.conv(name+".conv3", width, out, 1, 1),
		),
	}
	if proj {
		r.Shortcut = b.conv(name+".proj.conv", in, out, 1, stride)
	}
	return r, out
}
