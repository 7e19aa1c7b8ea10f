package model

import (
	"math/rand/v2"

	"github.com/untied-ml/untied/core/nn"
)

// lenetPad is the padding of LeNet's first conv: 2 on 28×28 inputs (MNIST,
// so the map entering conv2 is 14×14 as in LeCun's 32×32 original), else 0.
func lenetPad(size int) int {
	if size == 28 {
		return 2
	}
	return 0
}

// lenetFlat returns the length of one image's flattened features after the
// second pool, and whether every stage fits its input.
func lenetFlat(size int) (int, bool) {
	s := size + 2*lenetPad(size)
	for _, k := range []int{5, 2, 5, 2} { // conv1, pool1, conv2, pool2
		if s < k {
			return 0, false
		}
		if k == 2 {
			s = (s-2)/2 + 1
		} else {
			s -= k - 1
		}
	}
	return 16 * s * s, true
}

// lenet builds LeNet-5: conv 5×5 6 → ReLU → max-pool 2/2 → conv 5×5 16 →
// ReLU → max-pool 2/2 → flatten → dense 120 → ReLU → dense 84 → ReLU →
// dense Classes, every layer with a bias.
func (b *builder) lenet(cfg Config) nn.Module {
	flat, _ := lenetFlat(cfg.InputSize)
	conv1 := nn.NewConv2D("conv1", cfg.InChannels, 6, 5, 1, lenetPad(cfg.InputSize), true, b.rng)
	conv1.NoInputGrad = true
	return nn.NewSequential(
		conv1, &nn.ReLU{}, nn.NewMaxPool(2, 2, 0),
		nn.NewConv2D("conv2", 6, 16, 5, 1, 0, true, b.rng), &nn.ReLU{}, nn.NewMaxPool(2, 2, 0),
		&nn.Flatten{},
		nn.NewDense("fc1", flat, 120, true, b.rng), &nn.ReLU{},
		nn.NewDense("fc2", 120, 84, true, b.rng), &nn.ReLU{},
		nn.NewDense("fc3", 84, cfg.Classes, true, b.rng),
	)
}

// lenetMNISTSize is the input size of BioTorch's LeNetMNIST: its third
// 5×5 conv sees the 5×5 map that a 32×32 image leaves (MNIST resized).
const lenetMNISTSize = 32

// InputSize returns the only input size arch takes, or 0 if it takes
// any: 32 for lenet-mnist.
func InputSize(arch string) int {
	if arch == "lenet-mnist" {
		return lenetMNISTSize
	}
	return 0
}

// lenetMNIST builds BioTorch's LeNetMNIST (Sanfiz & Akrout 2021, the
// network of its MNIST and Fashion-MNIST benchmark): conv 5×5 6 → ReLU →
// max-pool 2/2 → conv 5×5 16 → ReLU → max-pool 2/2 → conv 5×5 120 → ReLU
// → flatten → dense 84 → ReLU → dense Classes, every layer with a bias
// (its le_net.py has relu1 to relu4, the last between fc1 and fc2). On
// its 32×32 input the third conv covers its whole 5×5 input. As BioTorch's benchmark
// configurations ("init": "xavier") have it, W and B are drawn
// Xavier-uniform, biases zero, so sign symmetry's magnitudes and DFA's
// matrices take Xavier's scale too (nn.Untied.InitStd).
func (b *builder) lenetMNIST(cfg Config) nn.Module {
	conv1 := nn.NewConv2D("conv1", cfg.InChannels, 6, 5, 1, 0, true, b.rng)
	conv1.NoInputGrad = true
	conv2 := nn.NewConv2D("conv2", 6, 16, 5, 1, 0, true, b.rng)
	conv3 := nn.NewConv2D("conv3", 16, 120, 5, 1, 0, true, b.rng)
	fc1 := nn.NewDense("fc1", 120, 84, true, b.rng)
	fc2 := nn.NewDense("fc2", 84, cfg.Classes, true, b.rng)
	for _, l := range []interface{ InitXavier(*rand.Rand) }{conv1, conv2, conv3, fc1, fc2} {
		l.InitXavier(b.rng)
	}
	return nn.NewSequential(
		conv1, &nn.ReLU{}, nn.NewMaxPool(2, 2, 0),
		conv2, &nn.ReLU{}, nn.NewMaxPool(2, 2, 0),
		conv3, &nn.ReLU{},
		&nn.Flatten{},
		fc1, &nn.ReLU{},
		fc2,
	)
}
