package model

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/untied-ml/untied/core/conv"
	"github.com/untied-ml/untied/core/nn"
)

// Config chooses an architecture and its input.
type Config struct {
	Arch       string // one of Archs()
	Width      int    // channels of the first residual group; 0 = the published width (64 for ImageNet ResNets, 16 for CIFAR ResNets); ignored by lenet
	Classes    int
	InChannels int
	InputSize  int    // H = W of the input, e.g. 28, 32, 224
	SmallStem  bool   // 3×3 stride-1 stem conv, no max-pool (for 28×28/32×32 inputs); false = 7×7/2 conv + 3×3/2 max-pool
	Seed       uint64 // initialisation seed (math/rand/v2 PCG); W and B drawn independently
}

type family int

const (
	lenet family = iota
	lenetMNIST
	resnetV1
	resnetV2
	resnetCIFAR
)

// arch describes one architecture of the table below.
type arch struct {
	name       string
	family     family
	bottleneck bool
	blocks     []int // residual blocks per group
}

var archs = []arch{
	{name: "lenet", family: lenet},
	{name: "lenet-mnist", family: lenetMNIST},
	{name: "resnet18", family: resnetV1, blocks: []int{2, 2, 2, 2}},
	{name: "resnet34", family: resnetV1, blocks: []int{3, 4, 6, 3}},
	{name: "resnet50", family: resnetV1, bottleneck: true, blocks: []int{3, 4, 6, 3}},
	{name: "resnet101", family: resnetV1, bottleneck: true, blocks: []int{3, 4, 23, 3}},
	{name: "resnet152", family: resnetV1, bottleneck: true, blocks: []int{3, 8, 36, 3}},
	{name: "resnet50v2", family: resnetV2, bottleneck: true, blocks: []int{3, 4, 6, 3}},
	{name: "resnet101v2", family: resnetV2, bottleneck: true, blocks: []int{3, 4, 23, 3}},
	{name: "resnet152v2", family: resnetV2, bottleneck: true, blocks: []int{3, 8, 36, 3}},
	{name: "resnet20", family: resnetCIFAR, blocks: []int{3, 3, 3}},
	{name: "resnet56", family: resnetCIFAR, blocks: []int{9, 9, 9}},
}

// Width returns the width an architecture is built at for Config.Width w:
// w, or its published width for 0 (64 for ImageNet ResNets, 16 for CIFAR
// ResNets); 0 for the LeNets, which have none. Unknown names give 0.
func Width(arch string, w int) int {
	a, ok := lookup(arch)
	switch {
	case !ok || a.family == lenet || a.family == lenetMNIST:
		return 0
	case w > 0:
		return w
	case a.family == resnetCIFAR:
		return 16
	}
	return 64
}

// Archs returns the names New accepts, in a fixed order.
func Archs() []string {
	names := make([]string, len(archs))
	for i, a := range archs {
		names[i] = a.name
	}
	return names
}

func lookup(name string) (arch, bool) {
	for _, a := range archs {
		if a.name == name {
			return a, true
		}
	}
	return arch{}, false
}

// New builds the network cfg describes. Its input is [N, InChannels,
// InputSize, InputSize] and its output the logits [N, Classes]. The first
// conv has NoInputGrad set, so Backward returns nil.
func New(cfg Config) (nn.Module, error) {
	a, err := cfg.check()
	if err != nil {
		return nil, err
	}
	b := &builder{rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed))}
	var net nn.Module
	switch a.family {
	case lenet:
		net = b.lenet(cfg)
	case lenetMNIST:
		net = b.lenetMNIST(cfg)
	case resnetCIFAR:
		net = b.cifarResNet(cfg, a)
	default:
		net = b.resNet(cfg, a)
	}
	shareScratch(net)
	wireFusions(net)
	return net, nil
}

// wireFusions joins neighbours in a Sequential, where one's output goes to
// the other alone, so that they share a pass over it; the results are the
// same bits. A BatchNorm before a convolution writes its output on that
// convolution's input grid where it has one (nn.BatchNorm.GridFor): the
// convolution reads it where it lies, forward and backward, rather than
// laying it out twice a step. A convolution before a BatchNorm gathers the
// BatchNorm's statistics as it copies its output out (GatherSums,
// SumsFrom), which spares the BatchNorm a pass over it, and the BatchNorm
// writes its input gradient where the convolution's backward passes read
// it (GradGridFor). A post-activation residual block's last BatchNorm
// writes the block's sum and ReLU in its own pass (nn.Residual.FuseSum).
func wireFusions(net nn.Module) {
	nn.Walk(net, func(m nn.Module) {
		if r, ok := m.(*nn.Residual); ok {
			r.FuseSum = true
			return
		}
		s, ok := m.(*nn.Sequential)
		if !ok {
			return
		}
		for i := 0; i+1 < len(s.Layers); i++ {
			switch a := s.Layers[i].(type) {
			case *nn.BatchNorm:
				if c, ok := s.Layers[i+1].(*nn.Conv2D); ok {
					a.GridFor = c.InputGrid
				}
			case *nn.Conv2D:
				if bn, ok := s.Layers[i+1].(*nn.BatchNorm); ok {
					a.GatherSums, bn.SumsFrom = true, a
					bn.GradGridFor = a.OutputGradGrid
				}
			}
		}
	})
}

// shareScratch gives every convolution of net one conv.Scratch and one
// nn.GradArena (but a post-activation projection's conv, which keeps its
// input gradient: nn.Residual.OwnShortcutGrad), and the BatchNorms that end a residual branch or shortcut
// one nn.OutArena each: they run one after another, so the network needs
// the buffers of its largest pass only, not of every layer's. No network
// here has two convolutions in a row, which a GradArena rules out.
func shareScratch(net nn.Module) {
	s, g := new(conv.Scratch), new(nn.GradArena)
	branch, shortcut := new(nn.OutArena), new(nn.OutArena)
	nn.Walk(net, func(m nn.Module) {
		switch l := m.(type) {
		case *nn.Conv2D:
			l.Scratch, l.Grads = s, g
		case *nn.Residual:
			// The BatchNorms ending the branch and the shortcut write
			// only into the sum.
			if bn, ok := nn.LastLayer(l.Branch).(*nn.BatchNorm); ok {
				bn.Out = branch
			}
			if bn, ok := nn.LastLayer(l.Shortcut).(*nn.BatchNorm); ok {
				bn.Out = shortcut
			}
		}
	})
	// A projection's conv keeps its input gradient in a buffer of its
	// own, into which its block adds the branch's (the buffer the block
	// would otherwise copy the branch's into: the same memory, one pass
	// less).
	nn.Walk(net, func(m nn.Module) {
		r, ok := m.(*nn.Residual)
		if !ok || r.Shortcut == nil || r.Pre != nil || !r.PostReLU {
			return
		}
		nn.Walk(r.Shortcut, func(m nn.Module) {
			if c, ok := m.(*nn.Conv2D); ok {
				c.Grads = nil
			}
		})
		r.OwnShortcutGrad = true
	})
}

// check validates cfg and returns its architecture.
func (cfg Config) check() (arch, error) {
	a, ok := lookup(cfg.Arch)
	switch {
	case !ok:
		return a, fmt.Errorf("model: unknown Arch %q; known: %s", cfg.Arch, strings.Join(Archs(), ", "))
	case cfg.Classes < 2:
		return a, fmt.Errorf("model: Classes = %d, want ≥ 2", cfg.Classes)
	case cfg.InChannels < 1:
		return a, fmt.Errorf("model: InChannels = %d, want ≥ 1", cfg.InChannels)
	case cfg.Width < 0:
		return a, fmt.Errorf("model: Width = %d, want ≥ 1, or 0 for the published width", cfg.Width)
	case cfg.InputSize < 1:
		return a, fmt.Errorf("model: InputSize = %d, want ≥ 1 (the input's height and width)", cfg.InputSize)
	}
	if a.family == lenetMNIST {
		if cfg.InputSize != lenetMNISTSize {
			return a, fmt.Errorf("model: InputSize = %d for lenet-mnist (BioTorch's LeNetMNIST): want %d (resize 28×28 images to it)", cfg.InputSize, lenetMNISTSize)
		}
		return a, nil
	}
	if a.family == lenet {
		if _, ok := lenetFlat(cfg.InputSize); !ok {
			return a, fmt.Errorf("model: InputSize = %d too small for lenet (two 5×5 convs and 2×2 pools): want ≥ 16", cfg.InputSize)
		}
		return a, nil
	}
	if min := minInput(cfg, a); cfg.InputSize < min {
		stem := "with the standard stem (7×7/2 conv + 3×3/2 max-pool)"
		switch {
		case a.family == resnetCIFAR:
			stem = "(3×3 stem, groups at strides 1, 2, 2)"
		case cfg.SmallStem:
			stem = "with the small stem (3×3/1 conv, no max-pool)"
		}
		hint := ""
		if a.family != resnetCIFAR && !cfg.SmallStem {
			hint = ", or set SmallStem"
		}
		return a, fmt.Errorf("model: InputSize = %d too small for %s %s: want ≥ %d, its total stride%s", cfg.InputSize, a.name, stem, min, hint)
	}
	return a, nil
}

// minInput is the network's total stride: the smallest input whose last
// feature map is at least 1×1 without being made of padding alone.
func minInput(cfg Config, a arch) int {
	switch {
	case a.family == resnetCIFAR:
		return 4
	case cfg.SmallStem:
		return 8
	}
	return 32
}

// CountWeights returns the number of W, BatchNorm γ/β and bias values of m,
// feedback weights B excluded: the parameter count as papers report it.
func CountWeights(m nn.Module) int {
	n := 0
	for _, p := range m.Params() {
		if p.Kind != nn.Feedback {
			n += p.Value.Len()
		}
	}
	return n
}

// builder draws every layer's weights from one stream, in construction
// (forward) order.
type builder struct {
	rng *rand.Rand
}

// conv returns a k×k conv without bias and with "same" padding (k−1)/2,
// which for odd k matches the reference code's fixed padding at any stride.
func (b *builder) conv(name string, in, out, k, stride int) *nn.Conv2D {
	return nn.NewConv2D(name, in, out, k, stride, (k-1)/2, false, b.rng)
}

func (b *builder) bn(name string, c int, zeroGamma bool) *nn.BatchNorm {
	return nn.NewBatchNorm(name, c, zeroGamma)
}

// bnReLU is a BatchNorm followed by a ReLU, as one layer (see
// nn.BatchNorm.ReLU).
func (b *builder) bnReLU(name string, c int) *nn.BatchNorm {
	bn := nn.NewBatchNorm(name, c, false)
	bn.ReLU = true
	return bn
}
