package nn

import "github.com/untied-ml/untied/core/tensor"

// Kind says what a parameter is, which decides how optimizers and learning
// rules treat it: weight decay applies to Forward weights only, alignment
// losses update Feedback weights only.
type Kind int

const (
	// Forward is a forward weight W of a dense or conv layer.
	Forward Kind = iota
	// Feedback is a feedback weight B, used in place of W in the backward pass.
	Feedback
	// Norm is a BatchNorm scale γ or shift β.
	Norm
	// Bias is an additive bias of a dense or conv layer.
	Bias
)

func (k Kind) String() string {
	switch k {
	case Forward:
		return "W"
	case Feedback:
		return "B"
	case Norm:
		return "bn"
	case Bias:
		return "bias"
	}
	return "unknown"
}

// Param is a trainable tensor with its gradient. Backward passes add into
// Grad; the trainer zeroes it before each step.
type Param struct {
	Name  string
	Kind  Kind
	Value *tensor.Tensor
	Grad  *tensor.Tensor
}

// NewParam returns a zero-valued parameter of the given shape.
func NewParam(name string, kind Kind, shape ...int) *Param {
	return &Param{Name: name, Kind: kind, Value: tensor.New(shape...), Grad: tensor.New(shape...)}
}
