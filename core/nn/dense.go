package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/untied-ml/untied/core/gemm"
	"github.com/untied-ml/untied/core/tensor"
)

// Dense is a fully connected layer y = x·Wᵀ (+ bias) with W and B of shape
// [Out, In]. Inputs of any shape [N, ...] are read as [N, In].
type Dense struct {
	Name    string
	In, Out int
	W, B    *Param
	Bias    *Param // nil for none
	// NoInputGrad skips the input gradient (for a first layer); Backward
	// then returns nil.
	NoInputGrad bool

	initStd float64 // of W's and B's draws (InitStd)
	route   Route
	tr      Transport      // nil: Transpose through B or W
	dy      *tensor.Tensor // the last Backward's upstream gradient
	x       *tensor.Tensor // [N, In] view of the last input
	xv      tensor.Tensor
	out     *tensor.Tensor
	dx      *tensor.Tensor
	dxv     tensor.Tensor
	in      []int
}

// Dense is Untied but not Fused: its products read x as it is, so there
// is no lowering to share with a rule.
var _ Untied = (*Dense)(nil)

// NewDense returns a Dense layer with He-initialised W and B (drawn
// independently) and an optional zero bias.
func NewDense(name string, in, out int, bias bool, rng *rand.Rand) *Dense {
	d := &Dense{Name: name, In: in, Out: out,
		W: NewParam(name+".W", Forward, out, in),
		B: NewParam(name+".B", Feedback, out, in)}
	HeNormal(d.W, in, rng)
	d.initStd = HeNormal(d.B, in, rng)
	if bias {
		d.Bias = NewParam(name+".bias", Bias, out)
	}
	return d
}

func (d *Dense) asMatrix(x *tensor.Tensor, view *tensor.Tensor) *tensor.Tensor {
	n := x.Shape[0]
	if x.Len() != n*d.In {
		panic(fmt.Sprintf("nn: %s: input shape %v, want [N, %d]", d.Name, x.Shape, d.In))
	}
	*view = tensor.Tensor{Shape: append(view.Shape[:0], n, d.In), Data: x.Data[:x.Len()]}
	return view
}

// Apply returns x·wᵀ for x [N, In] and w [Out, In].
func (d *Dense) Apply(x *tensor.Tensor, w []float32, out *tensor.Tensor) *tensor.Tensor {
	n := x.Shape[0]
	out = tensor.Ensure(out, n, d.Out)
	gemm.Sgemm(false, true, n, d.Out, d.In, 1, x.Data, d.In, w, d.In, 0, out.Data, d.Out)
	return out
}

// Transpose returns dy·w for dy [N, Out], shaped [N, In].
func (d *Dense) Transpose(dy *tensor.Tensor, w []float32, out *tensor.Tensor) *tensor.Tensor {
	n := dy.Shape[0]
	out = tensor.Ensure(out, n, d.In)
	gemm.Sgemm(false, false, n, d.In, d.Out, 1, dy.Data, d.Out, w, d.In, 0, out.Data, d.In)
	return out
}

// Filter sets dw = beta·dw + dyᵀ·x.
func (d *Dense) Filter(x, dy *tensor.Tensor, dw []float32, beta float32) {
	gemm.Sgemm(true, false, d.Out, d.In, dy.Shape[0], 1, dy.Data, d.Out, x.Data, d.In, beta, dw, d.In)
}

// Forward computes x·Wᵀ + bias.
func (d *Dense) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	d.in = append(d.in[:0], x.Shape...)
	d.x = d.asMatrix(x, &d.xv)
	d.out = d.Apply(d.x, d.W.Value.Data, d.out)
	if d.Bias != nil {
		for i := 0; i < d.x.Shape[0]; i++ {
			tensor.Add(d.out.Data[i*d.Out:(i+1)*d.Out], d.Bias.Value.Data)
		}
	}
	return d.out
}

// Backward adds dyᵀ·x to W's gradient and returns dy·B (feedback route),
// the transport's result (feedback route with a transport) or dy·W
// (backprop route), shaped like the input.
func (d *Dense) Backward(dy *tensor.Tensor) *tensor.Tensor {
	d.dy = dy
	d.Filter(d.x, dy, d.W.Grad.Data, 1)
	if d.Bias != nil {
		g := d.Bias.Grad.Data
		for i := 0; i < dy.Shape[0]; i++ {
			tensor.Add(g, dy.Data[i*d.Out:(i+1)*d.Out])
		}
	}
	if d.NoInputGrad {
		return nil
	}
	if d.tr != nil && d.route == FeedbackRoute {
		d.dx = transported(d.Name, d.tr, dy, d.dx, d.x.Len())
	} else {
		d.dx = d.Transpose(dy, transport(d.route, d.W, d.B).Value.Data, d.dx)
	}
	d.dxv = tensor.Tensor{Shape: append(d.dxv.Shape[:0], d.in...), Data: d.dx.Data}
	return &d.dxv
}

// Params returns W, B and the bias if any.
func (d *Dense) Params() []*Param {
	if d.Bias != nil {
		return []*Param{d.W, d.B, d.Bias}
	}
	return []*Param{d.W, d.B}
}

// Weights returns W and B.
func (d *Dense) Weights() (w, b *Param) { return d.W, d.B }

// InitStd returns the standard deviation W and B were drawn with.
func (d *Dense) InitStd() float64 { return d.initStd }

// InitXavier draws W and B again, independently, Xavier-uniform (see
// XavierUniform), with fans In and Out.
func (d *Dense) InitXavier(rng *rand.Rand) {
	XavierUniform(d.W, d.In, d.Out, rng)
	d.initStd = XavierUniform(d.B, d.In, d.Out, rng)
}

// Input returns the last input as [N, In].
func (d *Dense) Input() *tensor.Tensor { return d.x }

// SetRoute chooses B (feedback) or W (backprop) for the input gradient.
func (d *Dense) SetRoute(r Route) { d.route = r }

// OutputGrad returns the upstream gradient of the last Backward.
func (d *Dense) OutputGrad() *tensor.Tensor { return d.dy }

// Route returns the route in use.
func (d *Dense) Route() Route { return d.route }

// SetTransport replaces B by f for the input gradient on the feedback
// route; f gets dy [N, Out] and returns [N, In], viewed in the input's
// shape. nil restores B.
func (d *Dense) SetTransport(f Transport) { d.tr = f }
