package nn

import "github.com/untied-ml/untied/core/tensor"

// Module is a differentiable piece of a network.
type Module interface {
	// Forward maps a batch to its output; train selects batch statistics
	// (and running-statistic updates) in BatchNorm.
	Forward(x *tensor.Tensor, train bool) *tensor.Tensor
	// Backward takes the gradient of the loss with respect to the last
	// Forward's output, adds parameter gradients into Param.Grad, and
	// returns the gradient with respect to that Forward's input (nil for a
	// layer told not to compute it).
	Backward(dy *tensor.Tensor) *tensor.Tensor
	// Params lists the trainable parameters, in a fixed order.
	Params() []*Param
}

// Container is a module made of other modules.
type Container interface {
	Children() []Module
}

// Walk calls f on m and, depth first in order, on every module inside it.
func Walk(m Module, f func(Module)) {
	f(m)
	if c, ok := m.(Container); ok {
		for _, child := range c.Children() {
			if child != nil {
				Walk(child, f)
			}
		}
	}
}

// UntiedLayers lists the layers of m that have feedback weights, in forward order.
func UntiedLayers(m Module) []Untied {
	var out []Untied
	Walk(m, func(m Module) {
		if u, ok := m.(Untied); ok {
			out = append(out, u)
		}
	})
	return out
}

// SetRoute sets the backward route of every untied layer in m.
func SetRoute(m Module, r Route) {
	for _, u := range UntiedLayers(m) {
		u.SetRoute(r)
	}
}

// ZeroGrad zeroes the gradients of every parameter of m.
func ZeroGrad(m Module) {
	for _, p := range m.Params() {
		p.Grad.Zero()
	}
}

// Sequential applies its modules in order.
type Sequential struct {
	Layers []Module
}

// NewSequential returns the composition of layers, first applied first.
func NewSequential(layers ...Module) *Sequential { return &Sequential{Layers: layers} }

// Forward applies each layer in turn.
func (s *Sequential) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	for _, l := range s.Layers {
		x = l.Forward(x, train)
	}
	return x
}

// LastLayer returns the layer that produces m's output: m itself, or for a
// Sequential (nested ones included) its last layer's.
func LastLayer(m Module) Module {
	for {
		s, ok := m.(*Sequential)
		if !ok || len(s.Layers) == 0 {
			return m
		}
		m = s.Layers[len(s.Layers)-1]
	}
}

// Backward runs the layers' backward passes in reverse order.
func (s *Sequential) Backward(dy *tensor.Tensor) *tensor.Tensor {
	for i := len(s.Layers) - 1; i >= 0 && dy != nil; i-- {
		dy = s.Layers[i].Backward(dy)
	}
	return dy
}

// Params concatenates the layers' parameters.
func (s *Sequential) Params() []*Param { return collectParams(s.Layers...) }

// Children returns the layers.
func (s *Sequential) Children() []Module { return s.Layers }

func collectParams(ms ...Module) []*Param {
	var ps []*Param
	for _, m := range ms {
		if m != nil {
			ps = append(ps, m.Params()...)
		}
	}
	return ps
}

// Flatten reshapes [N, ...] to [N, rest] without copying.
type Flatten struct {
	inShape []int
	out, dx tensor.Tensor
}

// Forward returns a [N, C·H·W] view of x.
func (f *Flatten) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	f.inShape = append(f.inShape[:0], x.Shape...)
	f.out = tensor.Tensor{Shape: append(f.out.Shape[:0], x.Shape[0], x.Len()/x.Shape[0]), Data: x.Data[:x.Len()]}
	return &f.out
}

// Backward returns dy viewed in the input's shape.
func (f *Flatten) Backward(dy *tensor.Tensor) *tensor.Tensor {
	f.dx = tensor.Tensor{Shape: append(f.dx.Shape[:0], f.inShape...), Data: dy.Data[:dy.Len()]}
	return &f.dx
}

// Params returns nil.
func (f *Flatten) Params() []*Param { return nil }
