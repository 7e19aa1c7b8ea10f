package nn

import (
	"fmt"
	"unsafe"

	"github.com/untied-ml/untied/core/tensor"
)

// GradArena is storage that convolutions take turns at for the input
// gradients their Backward returns. A conv's input gradient is read by the
// layer below it (a BatchNorm, a ReLU, a pool, a Residual that copies it
// before its shortcut's pass) before any other conv's Backward runs, and
// no rule reads it afterwards (a rule reads a layer's OutputGrad, which
// those layers own), so one buffer as large as the largest serves every
// conv of a network rather than one per conv: for ResNet-18 at width 16,
// batch 128, 6 MB rather than 72. A conv whose upstream gradient is itself
// in the arena (two convs in a row) would overwrite what it reads: Backward
// panics, and such a network must not give its convs an arena.
type GradArena struct{ arena }

// arena is storage that layers take turns at: tensor views its first
// elements.
type arena struct{ data []float32 }

// tensor returns t, or a new tensor if t is nil, shaped shape (in NCHW
// order) over the arena's storage, grown to fit.
func (a *arena) tensor(t *tensor.Tensor, shape []int) *tensor.Tensor {
	n := tensor.Volume(shape)
	if cap(a.data) < n {
		a.data = make([]float32, n)
	}
	if t == nil {
		t = &tensor.Tensor{}
	}
	t.Shape = append(t.Shape[:0], shape...)
	t.Data, t.Grid = a.data[:n], nil
	return t
}

// grads returns t, or a new tensor if t is nil, shaped shape over the
// arena's storage. name and dy are the calling layer's and its upstream
// gradient, which must not lie in the arena.
func (a *GradArena) grads(name string, dy, t *tensor.Tensor, shape []int) *tensor.Tensor {
	t = a.tensor(t, shape)
	if len(dy.Data) > 0 {
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(a.data)))
		at := uintptr(unsafe.Pointer(unsafe.SliceData(dy.Data)))
		if at >= lo && at < lo+uintptr(cap(a.data))*4 {
			panic(fmt.Sprintf("nn: %s: its upstream gradient lies in the GradArena it would write its own to (two convolutions in a row must not share one)", name))
		}
	}
	return t
}

// OutArena is storage that BatchNorms take turns at for outputs that only
// the next layer reads, during the forward pass, and nothing keeps: a
// BatchNorm without ReLU whose output goes into a Residual's sum (its
// backward pass reads its input, never its output). One buffer as large as
// the largest such output then serves a network's branches rather than
// one each. A Residual's branch and its projection shortcut need two, as
// both outputs meet in the sum.
type OutArena struct{ arena }
