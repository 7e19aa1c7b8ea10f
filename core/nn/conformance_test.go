package nn_test

import (
	"math/rand/v2"
	"testing"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/nn/nntest"
)

// TestConformance runs nntest's suite on every untied layer type, in the
// shapes the models use: dense with and without bias, convolutions with
// padding, stride, 1×1 kernels and biases.
func TestConformance(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	layers := []nntest.Layer{
		{Name: "dense", InputShape: []int{5, 20}, New: func() nn.Untied { return nn.NewDense("fc", 20, 7, true, rng) }},
		{Name: "dense-nobias", InputShape: []int{3, 2, 3, 4}, New: func() nn.Untied { return nn.NewDense("fc", 24, 10, false, rng) }},
		{Name: "conv3x3-pad1", InputShape: []int{2, 3, 8, 8}, New: func() nn.Untied { return nn.NewConv2D("c", 3, 5, 3, 1, 1, false, rng) }},
		{Name: "conv3x3-stride2", InputShape: []int{3, 4, 9, 9}, New: func() nn.Untied { return nn.NewConv2D("c", 4, 6, 3, 2, 1, false, rng) }},
		{Name: "conv1x1-stride2", InputShape: []int{2, 8, 6, 6}, New: func() nn.Untied { return nn.NewConv2D("c", 8, 4, 1, 2, 0, false, rng) }},
		{Name: "conv5x5-bias", InputShape: []int{2, 1, 12, 12}, New: func() nn.Untied { return nn.NewConv2D("c", 1, 6, 5, 1, 0, true, rng) }},
	}
	for _, l := range layers {
		t.Run(l.Name, func(t *testing.T) { nntest.Run(t, l) })
	}
}
