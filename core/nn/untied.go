package nn

import (
	"fmt"

	"github.com/untied-ml/untied/core/tensor"
)

// Route says which weights carry the error to a layer's input.
type Route int

const (
	// FeedbackRoute sends the error through B (the default of a new layer).
	FeedbackRoute Route = iota
	// BackpropRoute sends the error through W: exact backpropagation.
	BackpropRoute
)

func (r Route) String() string {
	if r == BackpropRoute {
		return "backprop"
	}
	return "feedback"
}

// Transport computes a layer's input gradient in place of the transposed
// feedback weights (as direct feedback alignment does). Given the gradient
// dy the layer's Backward received, it returns the gradient for the layer's
// input, shaped like Input(), reusing out's storage through tensor.Ensure.
type Transport func(dy, out *tensor.Tensor) *tensor.Tensor

// transport returns the weights that carry the error under route r.
func transport(r Route, w, b *Param) *Param {
	if r == BackpropRoute {
		return w
	}
	return b
}

// transported returns f(dy, out), the input gradient of the layer called
// name, after checking it has want elements.
func transported(name string, f Transport, dy, out *tensor.Tensor, want int) *tensor.Tensor {
	dx := f(dy, out)
	if dx == nil || dx.Len() != want {
		var shape []int
		if dx != nil {
			shape = dx.Shape
		}
		panic(fmt.Sprintf("nn: %s: transport returned shape %v, want %d elements", name, shape, want))
	}
	return dx
}

// Linear is the weight-parametrised linear map of a dense or conv layer:
// Apply(x, W) is its forward projection, Transpose its adjoint in x, Filter
// its adjoint in the weight. Alignment losses are built from these three.
type Linear interface {
	// Apply returns y = x∘w (dense: x·wᵀ; conv: conv(x, w)) in out,
	// reusing out's storage when it is large enough.
	Apply(x *tensor.Tensor, w []float32, out *tensor.Tensor) *tensor.Tensor
	// Transpose returns the adjoint of Apply in x for the weight w
	// (dense: dy·w; conv: conv_transpose(dy, w)), reusing out.
	Transpose(dy *tensor.Tensor, w []float32, out *tensor.Tensor) *tensor.Tensor
	// Filter sets dw = beta·dw + ∂⟨dy, Apply(x, w)⟩/∂w
	// (dense: dyᵀ·x; conv: conv_backprop_filter(x, dy)).
	Filter(x, dy *tensor.Tensor, dw []float32, beta float32)
}

// Untied is what every layer with feedback weights offers a learning rule:
// its linear map, its two weights, the activity of its last step, and the
// choice of the weights (or transport) that carry the error down. A rule
// reaches a layer only through this interface (and Fused); the layer never
// knows which rule trains it.
type Untied interface {
	Module
	Linear
	// Weights returns the forward weights W and the feedback weights B.
	Weights() (w, b *Param)
	// InitStd returns the standard deviation W and B were drawn with:
	// He's √(2/fanIn), or Xavier's √(2/(fanIn+fanOut)) after InitXavier.
	// Sign symmetry scales B's magnitudes by it, DFA its feedback matrix.
	InitStd() float64
	// Input returns the input of the last Forward call (nil before it).
	// It may lie on a grid (tensor.Grid) that the layer's own passes
	// read; a caller reading its values calls Dense.
	Input() *tensor.Tensor
	// OutputGrad returns the gradient the last Backward call received
	// (nil before it): the error this layer sends down through B or W.
	// Like Input, it may lie on a grid.
	OutputGrad() *tensor.Tensor
	// SetRoute chooses the weights that carry the error to the input.
	SetRoute(Route)
	// Route returns the route in use.
	Route() Route
	// SetTransport makes Backward compute the input gradient on the
	// feedback route with f instead of B (nil restores B). W's gradient
	// still comes from the upstream gradient, and the backprop route always
	// uses W, so the exact reference pass ignores f.
	SetTransport(f Transport)
}

// Fused is implemented by an Untied layer that can share work between its
// own passes and a rule's alignment terms (as io.WriterTo beside
// io.Writer): a conv lowers its input once for several products. Every
// method is a speed-up with a plain equivalent through Linear, which a rule
// uses when the layer is not Fused or declines; the results are equal
// (nntest checks it).
type Fused interface {
	Untied
	// Projection returns Input()∘W as of the last Forward, the layer's
	// output when it has no bias, so a rule need not compute it again; nil
	// when the layer has a bias or has not run. Read only, valid until the
	// next Forward.
	Projection() *tensor.Tensor
	// KeepFeedbackProjection makes every training Forward also compute
	// Input()∘B (on by keep). A rule whose loss needs x∘B of the layer's
	// own input asks for it; the layer does not know why.
	KeepFeedbackProjection(keep bool)
	// FeedbackProjection returns Input()∘B as computed by the last Forward
	// (with the B of that Forward) when it was a training Forward with
	// KeepFeedbackProjection on, else nil. Read only, valid until the next
	// Forward.
	FeedbackProjection() *tensor.Tensor
	// FilterAlong asks every Backward until the next Forward to also set
	// req.Grad = Filter(Input(), req.D) in the same pass as W's gradient,
	// and req.Done. It reports whether the layer took the request (it may
	// decline, e.g. for a wrong size; the caller then calls Filter itself).
	// FilterAlong(nil) drops a pending request. req and its tensors must
	// stay untouched while it is pending.
	FilterAlong(req *FilterRequest) bool
	// InputGrid returns the padded layout (tensor.Grid) in which the
	// layer's passes, Apply and Filter included, read an input of the
	// given shape where it lies, with no copy; nil when there is none. A
	// rule that makes an input of its own for these passes (noise) can
	// write it there, and Transpose writes into an out that lies there.
	InputGrid(shape []int) *tensor.Grid
}

// FilterRequest is a rule's request that a Fused layer's backward pass
// compute Grad = Filter(Input(), D) beside W's gradient. This lets a rule
// whose alignment gradient is Filter(x, D), with D known before the
// backward pass, skip a lowering of x.
type FilterRequest struct {
	D    *tensor.Tensor // shaped like the layer's output
	Grad []float32      // W-sized; overwritten
	Done bool           // set by a Backward that filled Grad
}
