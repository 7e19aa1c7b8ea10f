package golden

// Shared helpers for the network-level tests (identity, route, golden).

import (
	"math/rand/v2"
	"testing"

	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

// newNet builds cfg with input gradients switched on at the first layer
// (model.New turns them off) and every BatchNorm γ drawn from U(0.5, 1.5),
// β from N(0, 0.1²) and every bias from N(0, 0.1²): the zero γ of the last
// BN of each residual branch would otherwise cut the branch out of the
// backward pass, and the tests would say nothing about the layers inside it.
func newNet(t *testing.T, cfg model.Config) nn.Module {
	t.Helper()
	m, err := model.New(cfg)
	if err != nil {
		t.Fatalf("model.New(%+v): %v", cfg, err)
	}
	r := newRand(cfg.Seed ^ 0xb47c4)
	nn.Walk(m, func(l nn.Module) {
		switch l := l.(type) {
		case *nn.BatchNorm:
			setValue(l.Gamma.Value.Data, uniform(r, l.C, 0.5, 1.5))
			setValue(l.Beta.Value.Data, scale(0.1, normals(r, l.C)))
		case *nn.Conv2D:
			l.NoInputGrad = false
			if l.Bias != nil {
				setValue(l.Bias.Value.Data, scale(0.1, normals(r, l.Out)))
			}
		case *nn.Dense:
			l.NoInputGrad = false
			if l.Bias != nil {
				setValue(l.Bias.Value.Data, scale(0.1, normals(r, l.Out)))
			}
		}
	})
	return m
}

// batch returns n random images for cfg and their labels.
func batch(r *rand.Rand, cfg model.Config, n int) (*tensor.Tensor, []int32) {
	x := tensorOf(normals(r, n*cfg.InChannels*cfg.InputSize*cfg.InputSize), n, cfg.InChannels, cfg.InputSize, cfg.InputSize)
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(r.IntN(cfg.Classes))
	}
	return x, labels
}

// step is one training-mode forward and backward pass of the mean
// cross-entropy with zeroed gradients first. It returns the loss and a copy
// of the input gradient.
func step(m nn.Module, x *tensor.Tensor, labels []int32) (float64, *tensor.Tensor) {
	nn.ZeroGrad(m)
	logits := m.Forward(x, true)
	loss, g := nn.SoftmaxCrossEntropy(logits, labels, nil)
	return loss, m.Backward(g).Clone()
}

// grads returns copies of the gradients of m's parameters, in Params order.
func grads(m nn.Module) []*tensor.Tensor {
	var out []*tensor.Tensor
	for _, p := range m.Params() {
		out = append(out, p.Grad.Clone())
	}
	return out
}

// tieB copies W into B in every untied layer of m.
func tieB(m nn.Module) {
	for _, l := range nn.UntiedLayers(m) {
		w, b := l.Weights()
		b.Value.CopyFrom(w.Value)
	}
}
