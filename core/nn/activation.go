package nn

import "github.com/untied-ml/untied/core/tensor"

// ReLU is max(x, 0), applied elementwise.
type ReLU struct {
	out, dx *tensor.Tensor
	loop    elemLoop
}

// Forward returns max(x, 0).
func (r *ReLU) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	r.out = tensor.Ensure(r.out, x.Shape...)
	r.loop.run(opRelu, r.out.Data, x.Data, nil)
	return r.out
}

// Backward passes dy where the output was positive.
func (r *ReLU) Backward(dy *tensor.Tensor) *tensor.Tensor {
	r.dx = tensor.Ensure(r.dx, dy.Shape...)
	r.loop.run(opReluGrad, r.dx.Data, dy.Data, r.out.Data)
	return r.dx
}

// Params returns nil.
func (r *ReLU) Params() []*Param { return nil }
