package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/untied-ml/untied/core/conv"
	"github.com/untied-ml/untied/core/tensor"
)

// Conv2D is a 2-D convolution of NCHW batches with W and B of shape
// [Out, In, K, K], a stride and zero padding, and an optional bias.
type Conv2D struct {
	Name        string
	In, Out, K  int
	Stride, Pad int
	W, B        *Param
	Bias        *Param // nil for none
	NoInputGrad bool   // skip the input gradient (first layer)
	// Scratch, when set, holds the buffers of the engine's passes,
	// shared with the network's other convolutions (see conv.Scratch);
	// nil: the layer's own.
	Scratch *conv.Scratch
	// Grads, when set, holds the input gradient Backward returns, in
	// storage shared with the network's other convolutions (see
	// GradArena); nil: the layer's own.
	Grads *GradArena
	// GatherSums makes training Forwards gather a BatchNorm's statistics
	// of the output where the engine copies it out plane by plane
	// (conv.Op.ForwardSums), for the BatchNorm after this layer
	// (OutputSums, BatchNorm.SumsFrom). Without a bias only.
	GatherSums bool

	initStd float64 // of W's and B's draws (InitStd)
	route   Route
	tr      Transport      // nil: Transpose through B or W
	dy      *tensor.Tensor // the last Backward's upstream gradient
	op      *conv.Op       // for the last input's spatial size
	x       *tensor.Tensor // on a grid when the layer before wrote it there (InputGrid)
	xDense  *tensor.Tensor // x copied to NCHW, when on a grid the op does not read
	dyDense *tensor.Tensor // dy copied to NCHW, likewise
	out     *tensor.Tensor
	dx      *tensor.Tensor

	sums   []float64      // GatherSums's, of sumsOf
	sumsOf *tensor.Tensor // the output sums belong to; nil: none

	keepPb bool           // KeepFeedbackProjection
	pb     *tensor.Tensor // x∘B of the last Forward, when valid
	pbOK   bool
	along  *FilterRequest // FilterAlong's pending request (nil: none)
}

var _ Fused = (*Conv2D)(nil)

// NewConv2D returns a k×k convolution with He-initialised W and B drawn
// independently.
func NewConv2D(name string, in, out, k, stride, pad int, bias bool, rng *rand.Rand) *Conv2D {
	c := &Conv2D{Name: name, In: in, Out: out, K: k, Stride: stride, Pad: pad,
		W: NewParam(name+".W", Forward, out, in, k, k),
		B: NewParam(name+".B", Feedback, out, in, k, k)}
	HeNormal(c.W, in*k*k, rng)
	c.initStd = HeNormal(c.B, in*k*k, rng)
	if bias {
		c.Bias = NewParam(name+".bias", Bias, out)
	}
	return c
}

// opFor returns the conv engine for inputs of x's spatial size.
func (c *Conv2D) opFor(x *tensor.Tensor) *conv.Op {
	if len(x.Shape) != 4 || x.Shape[1] != c.In {
		panic(fmt.Sprintf("nn: %s: input shape %v, want [N, %d, H, W]", c.Name, x.Shape, c.In))
	}
	return c.opForSize(x.Shape[2], x.Shape[3])
}

// input returns the op for x and x's values as its passes are to read
// them, having told the op their layout: x's own storage when x is dense
// or on the op's input grid, else (x on another grid) a dense copy.
func (c *Conv2D) input(x *tensor.Tensor) (*conv.Op, []float32) {
	op := c.opFor(x)
	if x.Grid == nil {
		op.SetInputOnGrid(false)
		return op, x.Data
	}
	if x.Grid.Equal(op.InputGrid(x.Shape[0])) {
		op.SetInputOnGrid(true)
		return op, x.Data
	}
	c.xDense = x.Dense(c.xDense)
	op.SetInputOnGrid(false)
	return op, c.xDense.Data
}

// InputGrid returns the layout in which Forward reads an input of the
// given shape where it lies, with no copy (conv.Op.InputGrid), or nil:
// for a layer before this one to write its output on (BatchNorm.GridFor).
func (c *Conv2D) InputGrid(shape []int) *tensor.Grid {
	if len(shape) != 4 || shape[1] != c.In {
		return nil
	}
	return c.opForSize(shape[2], shape[3]).InputGrid(shape[0])
}

// opForSize returns the conv engine for inputs of h×w images.
func (c *Conv2D) opForSize(h, w int) *conv.Op {
	if c.op != nil && c.op.H == h && c.op.W == w {
		return c.op
	}
	op, err := conv.New(conv.Shape{C: c.In, H: h, W: w, K: c.Out, KH: c.K, KW: c.K, Stride: c.Stride, Pad: c.Pad})
	if err != nil {
		panic(fmt.Sprintf("nn: %s: %v", c.Name, err))
	}
	if c.Scratch != nil {
		op.Share(c.Scratch)
	}
	c.op = op
	return op
}

// Apply returns conv(x, w).
func (c *Conv2D) Apply(x *tensor.Tensor, w []float32, out *tensor.Tensor) *tensor.Tensor {
	op, xd := c.input(x)
	n := x.Shape[0]
	out = tensor.Ensure(out, n, c.Out, op.OutH(), op.OutW())
	op.Forward(n, xd, w, out.Data)
	return out
}

// Transpose returns conv_transpose(dy, w), shaped like the last input: on
// the input grid when out lies there and the pass can write there
// (conv.Op.InputGradGrid), else in NCHW order.
func (c *Conv2D) Transpose(dy *tensor.Tensor, w []float32, out *tensor.Tensor) *tensor.Tensor {
	op := c.op
	n := dy.Shape[0]
	onGrid := out != nil && out.Grid != nil && out.Grid.Equal(op.InputGradGrid(n)) && out.SameShape(n, c.In, op.H, op.W)
	if !onGrid {
		out = tensor.Ensure(out, n, c.In, op.H, op.W)
	}
	op.SetInputGradOnGrid(onGrid)
	op.BackwardData(n, c.outputGrad(op, dy), w, out.Data)
	op.SetInputGradOnGrid(false)
	return out
}

// Filter sets dw = beta·dw + conv_backprop_filter(x, dy).
func (c *Conv2D) Filter(x, dy *tensor.Tensor, dw []float32, beta float32) {
	op, xd := c.input(x)
	op.SetOutputGradOnGrid(false)
	op.BackwardFilter(x.Shape[0], xd, c.denseGrad(dy).Data, dw, beta)
}

// Forward computes conv(x, W) + bias.
func (c *Conv2D) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	c.x = x
	c.pbOK, c.along, c.sumsOf = false, nil, nil
	if c.keepPb && train {
		op, xd := c.input(x)
		n := x.Shape[0]
		c.out = tensor.Ensure(c.out, n, c.Out, op.OutH(), op.OutW())
		c.pb = tensor.Ensure(c.pb, n, c.Out, op.OutH(), op.OutW())
		op.ForwardPair(n, xd, c.W.Value.Data, c.B.Value.Data, c.out.Data, c.pb.Data)
		c.pbOK = true
	} else if c.GatherSums && train && c.Bias == nil {
		op, xd := c.input(x)
		n := x.Shape[0]
		c.out = tensor.Ensure(c.out, n, c.Out, op.OutH(), op.OutW())
		if len(c.sums) != 2*n*c.Out {
			c.sums = make([]float64, 2*n*c.Out)
		}
		if op.ForwardSums(n, xd, c.W.Value.Data, c.out.Data, c.sums) {
			c.sumsOf = c.out
		}
	} else {
		c.out = c.Apply(x, c.W.Value.Data, c.out)
	}
	if c.Bias != nil {
		n, k, hw := c.out.Shape[0], c.Out, c.out.Shape[2]*c.out.Shape[3]
		for i := 0; i < n; i++ {
			for j := 0; j < k; j++ {
				b := c.Bias.Value.Data[j]
				row := c.out.Data[(i*k+j)*hw : (i*k+j+1)*hw]
				for t := range row {
					row[t] += b
				}
			}
		}
	}
	return c.out
}

// Backward adds the filter gradient to W's and returns the input gradient
// through B (feedback route), from the transport (feedback route with a
// transport) or through W (backprop route).
func (c *Conv2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	c.dy = dy
	if c.Bias != nil {
		addPlaneSums(c.Bias.Grad.Data, c.denseGrad(dy))
	}
	req, viaTransport := c.along, c.tr != nil && c.route == FeedbackRoute
	// With an input gradient through W or B, the filter gradient is taken
	// below beside it (conv.Op.Backward: on the band they share dY's layout).
	both := req == nil && !c.NoInputGrad && !viaTransport
	switch {
	case req != nil:
		op, xd := c.input(c.x)
		op.SetOutputGradOnGrid(false)
		op.BackwardFilterPair(c.x.Shape[0], xd, c.denseGrad(dy).Data, c.W.Grad.Data, 1, req.D.Data, req.Grad, 0)
		req.Done = true
	case !both:
		c.Filter(c.x, dy, c.W.Grad.Data, 1)
	}
	if c.NoInputGrad {
		return nil
	}
	if c.Grads != nil {
		c.dx = c.Grads.grads(c.Name, dy, c.dx, c.x.Shape)
	}
	if viaTransport {
		c.dx = transported(c.Name, c.tr, c.denseGrad(dy), c.dx, c.x.Len())
		return c.dx
	}
	op, xd := c.input(c.x)
	dyd := c.outputGrad(op, dy)
	n := c.x.Shape[0]
	w := transport(c.route, c.W, c.B).Value.Data
	c.dx = tensor.Ensure(c.dx, n, c.In, op.H, op.W)
	if both {
		op.Backward(n, xd, dyd, c.W.Grad.Data, 1, w, c.dx.Data)
	} else {
		op.BackwardData(n, dyd, w, c.dx.Data)
	}
	return c.dx
}

// OutputGradGrid returns the layout in which Backward reads an output
// gradient of the given shape where it lies, with no copy
// (conv.Op.OutputGradGrid), or nil: for a layer after this one to write
// its input gradient on (BatchNorm.GradGridFor). None where Backward
// would read it in NCHW order anyway (a bias, no input gradient, a
// transport, a FilterAlong request).
func (c *Conv2D) OutputGradGrid(shape []int) *tensor.Grid {
	op := c.op
	if op == nil || len(shape) != 4 || shape[1] != c.Out || shape[2] != op.OutH() || shape[3] != op.OutW() ||
		c.Bias != nil || c.NoInputGrad || c.tr != nil && c.route == FeedbackRoute || c.along != nil {
		return nil
	}
	return op.OutputGradGrid(shape[0])
}

// outputGrad returns dy's values as op's Backward and BackwardData are to
// read them, having told op their layout: dy's own storage when dense or
// on op's output-gradient grid, else a dense copy.
func (c *Conv2D) outputGrad(op *conv.Op, dy *tensor.Tensor) []float32 {
	if dy.Grid != nil && dy.Grid.Equal(op.OutputGradGrid(dy.Shape[0])) {
		op.SetOutputGradOnGrid(true)
		return dy.Data
	}
	op.SetOutputGradOnGrid(false)
	return c.denseGrad(dy).Data
}

// denseGrad returns dy in NCHW order: itself, or copied if on a grid.
func (c *Conv2D) denseGrad(dy *tensor.Tensor) *tensor.Tensor {
	if dy.Grid == nil {
		return dy
	}
	c.dyDense = dy.Dense(c.dyDense)
	return c.dyDense
}

// Params returns W, B and the bias if any.
func (c *Conv2D) Params() []*Param {
	if c.Bias != nil {
		return []*Param{c.W, c.B, c.Bias}
	}
	return []*Param{c.W, c.B}
}

// Weights returns W and B.
func (c *Conv2D) Weights() (w, b *Param) { return c.W, c.B }

// InitStd returns the standard deviation W and B were drawn with.
func (c *Conv2D) InitStd() float64 { return c.initStd }

// InitXavier draws W and B again, independently, Xavier-uniform (see
// XavierUniform), with fans In·K² and Out·K².
func (c *Conv2D) InitXavier(rng *rand.Rand) {
	kk := c.K * c.K
	XavierUniform(c.W, c.In*kk, c.Out*kk, rng)
	c.initStd = XavierUniform(c.B, c.In*kk, c.Out*kk, rng)
}

// Input returns the last input.
func (c *Conv2D) Input() *tensor.Tensor { return c.x }

// SetRoute chooses B (feedback) or W (backprop) for the input gradient.
func (c *Conv2D) SetRoute(r Route) { c.route = r }

// OutputGrad returns the upstream gradient of the last Backward, which
// may lie on a grid (OutputGradGrid).
func (c *Conv2D) OutputGrad() *tensor.Tensor { return c.dy }

// Route returns the route in use.
func (c *Conv2D) Route() Route { return c.route }

// SetTransport replaces B by f for the input gradient on the feedback
// route; f gets dy [N, Out, OH, OW] and returns the input's shape
// [N, In, H, W]. nil restores B.
func (c *Conv2D) SetTransport(f Transport) { c.tr = f }

// KeepFeedbackProjection makes training Forwards compute x∘B in the same
// pass as x∘W (conv.Op.ForwardPair): one lowering of x for both.
func (c *Conv2D) KeepFeedbackProjection(keep bool) {
	c.keepPb = keep
	if !keep {
		c.pb, c.pbOK = nil, false
	}
}

// FeedbackProjection returns x∘B of the last training Forward when kept.
func (c *Conv2D) FeedbackProjection() *tensor.Tensor {
	if !c.pbOK {
		return nil
	}
	return c.pb
}

// FilterAlong makes every Backward until the next Forward compute
// req.Grad = Filter(x, req.D) beside W's gradient
// (conv.Op.BackwardFilterPair): one lowering of x for both. It declines
// before the first Forward, when D or Grad has the wrong size, and when x
// lies on the band where the passes read it in place and Backward could
// take dY on its grid (OutputGradGrid): the pair would save no lowering,
// and cost dY's layouts for both passes.
func (c *Conv2D) FilterAlong(req *FilterRequest) bool {
	c.along = nil
	if req == nil || req.D == nil || c.x == nil || c.out == nil || req.D.Len() != c.out.Len() || len(req.Grad) < c.W.Value.Len() {
		return false
	}
	if n := c.x.Shape[0]; c.x.Grid != nil && c.x.Grid.Equal(c.op.InputGrid(n)) && c.OutputGradGrid(c.out.Shape) != nil {
		return false
	}
	req.Done = false
	c.along = req
	return true
}

// OutputSums returns, for y the last training Forward's output, the
// statistics GatherSums gathered: per image i and channel k, at 2(i·Out+k)
// and the index after, vec.ShiftedSums of the plane shifted by channel k's
// first value of image 0. nil when not gathered, or for another y.
func (c *Conv2D) OutputSums(y *tensor.Tensor) []float64 {
	if y == nil || y != c.sumsOf {
		return nil
	}
	return c.sums
}

// Projection returns the last Forward's output when there is no bias.
func (c *Conv2D) Projection() *tensor.Tensor {
	if c.Bias != nil {
		return nil
	}
	return c.out
}

// addPlaneSums adds to g[j], for every image, the sum of channel j's
// plane of dy [N, K, H, W] (a conv's bias gradient). Each plane sums in
// order, one value after another; four planes go side by side, so the
// additions of one wait on each other but not on the other three's.
func addPlaneSums(g []float32, dy *tensor.Tensor) {
	n, k, hw := dy.Shape[0], dy.Shape[1], dy.Shape[2]*dy.Shape[3]
	for i := 0; i < n; i++ {
		planes := dy.Data[i*k*hw : (i+1)*k*hw]
		j := 0
		for ; j+4 <= k; j += 4 {
			p0, p1 := planes[j*hw:(j+1)*hw], planes[(j+1)*hw:(j+2)*hw]
			p2, p3 := planes[(j+2)*hw:(j+3)*hw], planes[(j+3)*hw:(j+4)*hw]
			var s0, s1, s2, s3 float32
			for t := range p0 {
				s0 += p0[t]
				s1 += p1[t]
				s2 += p2[t]
				s3 += p3[t]
			}
			g[j] += s0
			g[j+1] += s1
			g[j+2] += s2
			g[j+3] += s3
		}
		for ; j < k; j++ {
			var s float32
			for _, v := range planes[j*hw : (j+1)*hw] {
				s += v
			}
			g[j] += s
		}
	}
}
