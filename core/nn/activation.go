package nn

import "github.com/untied-ml/untied/core/tensor"

// ReLU is max(x, 0), applied elementwise.
type ReLU struct {
	out, dx *tensor.Tensor
}

// Forward returns max(x, 0).
func (r *ReLU) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	r.out = tensor.Ensure(r.out, x.Shape...)
	reluInto(r.out.Data, x.Data[:x.Len()])
	return r.out
}

// Backward passes dy where the output was positive.
func (r *ReLU) Backward(dy *tensor.Tensor) *tensor.Tensor {
	r.dx = tensor.Ensure(r.dx, dy.Shape...)
	reluGrad(r.dx.Data, dy.Data[:dy.Len()], r.out.Data)
	return r.dx
}

// Params returns nil.
func (r *ReLU) Params() []*Param { return nil }

func reluInto(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = max(v, 0)
	}
}

// reluGrad sets dst = dy where y > 0, else 0.
func reluGrad(dst, dy, y []float32) {
	dy, y = dy[:len(dst)], y[:len(dst)]
	for i, v := range dy {
		if y[i] > 0 {
			dst[i] = v
		} else {
			dst[i] = 0
		}
	}
}
