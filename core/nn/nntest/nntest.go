// Package nntest is the conformance suite of nn.Untied: the properties every
// layer with feedback weights must have for the learning rules of
// core/align to be right on it, checked numerically on random data (in the
// spirit of gonum's testblas, which any BLAS implementation runs).
//
// A layer author runs it from a test:
//
//	func TestMyLayer(t *testing.T) {
//		nntest.Run(t, nntest.Layer{Name: "mine", New: newMine, InputShape: []int{4, 3, 8, 8}})
//	}
//
// It checks that Apply and Transpose are adjoint in x, that Filter is the
// gradient of ⟨Apply(x, V), D⟩ in V (with its beta), that Forward computes
// Apply(x, W) and Backward W's gradient Filter(x, dy), that the feedback
// route sends the error through B and never reads W, that the backprop
// route uses W, that a transport replaces B on the feedback route only,
// and, for a layer that implements nn.Fused, that every fused path equals
// its plain equivalent.
package nntest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

// T is the part of *testing.T the suite uses (an interface, so the suite's
// own tests can watch it fail on broken layers).
type T interface {
	Helper()
	Errorf(format string, args ...any)
}

// Layer is one layer under test.
type Layer struct {
	Name string
	// New returns a fresh layer with W and B drawn independently (so they
	// differ) and zero gradients.
	New func() nn.Untied
	// InputShape is the shape of a batch for it, batch first.
	InputShape []int
}

// tol is the largest relative difference accepted between two float32
// computations of the same quantity in different orders (sums of a few
// hundred products); a broken layer misses by O(1).
const tol = 1e-4

// Run runs every check on l.
func Run(t T, l Layer) {
	t.Helper()
	c := &checker{t: t, l: l, rng: rand.New(rand.NewPCG(1, 2))}
	c.linear()
	c.forward()
	c.backward()
	c.transport()
	if _, ok := l.New().(nn.Fused); ok {
		c.fused()
	}
}

type checker struct {
	t   T
	l   Layer
	rng *rand.Rand
}

func (c *checker) errorf(check, format string, args ...any) {
	c.t.Helper()
	c.t.Errorf("%s: %s: %s", c.l.Name, check, fmt.Sprintf(format, args...))
}

// random returns a tensor of shape with entries from N(0, 1).
func (c *checker) random(shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(c.rng.NormFloat64())
	}
	return t
}

// fresh returns a new layer and a random input batch for it.
func (c *checker) fresh() (nn.Untied, *tensor.Tensor) {
	return c.l.New(), c.random(c.l.InputShape...)
}

// zeroBias zeroes every parameter of u but W and B, so Forward is Apply.
func zeroBias(u nn.Untied) {
	w, b := u.Weights()
	for _, p := range u.Params() {
		if p != w && p != b {
			p.Value.Zero()
		}
	}
}

// linear checks the three maps of nn.Linear against each other.
func (c *checker) linear() {
	c.t.Helper()
	u, x := c.fresh()
	w, _ := u.Weights()
	v := c.random(w.Value.Shape...)
	y := u.Apply(x, v.Data, nil)
	dy := c.random(y.Shape...)
	// ⟨Apply(x, V), dy⟩ = ⟨x, Transpose(dy, V)⟩
	dx := u.Transpose(dy, v.Data, nil)
	if dx.Len() != x.Len() {
		c.errorf("Transpose", "shape %v, want the input's %v", dx.Shape, x.Shape)
		return
	}
	if a, b := tensor.Dot(y.Data, dy.Data), tensor.Dot(x.Data, dx.Data); !near(a, b, tensor.Norm(y.Data)*tensor.Norm(dy.Data)) {
		c.errorf("Transpose", "not the adjoint of Apply in x: ⟨Apply(x, V), dy⟩ = %.7g, ⟨x, Transpose(dy, V)⟩ = %.7g", a, b)
	}
	// ⟨Filter(x, dy), U⟩ = ⟨Apply(x, U), dy⟩: Filter is the gradient in
	// the weight of ⟨Apply(x, ·), dy⟩, linear in the weight.
	g := c.random(w.Value.Shape...) // garbage that beta = 0 must overwrite
	u.Filter(x, dy, g.Data, 0)
	uw := c.random(w.Value.Shape...)
	yu := u.Apply(x, uw.Data, nil)
	if a, b := tensor.Dot(g.Data, uw.Data), tensor.Dot(yu.Data, dy.Data); !near(a, b, tensor.Norm(yu.Data)*tensor.Norm(dy.Data)) {
		c.errorf("Filter", "not the gradient of ⟨Apply(x, V), dy⟩ in V: ⟨Filter(x, dy), U⟩ = %.7g, ⟨Apply(x, U), dy⟩ = %.7g", a, b)
	}
	// beta = 1 adds.
	twice := g.Clone()
	u.Filter(x, dy, twice.Data, 1)
	if !closeTo(twice.Data, scaled(2, g.Data)) {
		c.errorf("Filter", "with beta 1 it does not add to dw: max difference %.3g from 2·Filter", maxDiff(twice.Data, scaled(2, g.Data)))
	}
}

// forward checks that Forward computes Apply(x, W), never reads B, and
// keeps its input.
func (c *checker) forward() {
	c.t.Helper()
	u, x := c.fresh()
	zeroBias(u)
	w, b := u.Weights()
	want := u.Apply(x, w.Value.Data, nil)
	y := u.Forward(x, true).Clone()
	if !matches(y, want.Data) {
		c.errorf("Forward", "output differs from Apply(x, W) by up to %.3g", maxDiff(y.Data[:y.Len()], want.Data))
	}
	if in := u.Input(); !matches(in, x.Data) {
		c.errorf("Input", "does not return the last Forward's input")
	}
	scramble(c, b)
	if y2 := u.Forward(x, true); !matches(y2, y.Data) {
		c.errorf("Forward", "output moved when only B changed: the forward pass reads B")
	}
}

// backward checks W's gradient and the two routes.
func (c *checker) backward() {
	c.t.Helper()
	u, x := c.fresh()
	w, b := u.Weights()
	y := u.Forward(x, true)
	dy := c.random(y.Shape...)
	if u.Route() != nn.FeedbackRoute {
		c.errorf("Route", "a new layer's route is %v, want feedback", u.Route())
	}
	// The feedback route: dx = Transpose(dy, B); W's gradient Filter(x, dy).
	dx := clone(u.Backward(dy))
	if !matches(dx, u.Transpose(dy, b.Value.Data, nil).Data) {
		c.errorf("Backward", "on the feedback route the input gradient is not Transpose(dy, B)")
		return
	}
	if len(dx.Shape) != len(x.Shape) || dx.Len() != x.Len() {
		c.errorf("Backward", "input gradient shaped %v, want the input's %v", dx.Shape, x.Shape)
	}
	wantW := tensor.New(w.Value.Shape...)
	u.Filter(x, dy, wantW.Data, 0)
	if !closeTo(w.Grad.Data, wantW.Data) {
		c.errorf("Backward", "W.Grad is not Filter(x, dy): off by up to %.3g", maxDiff(w.Grad.Data, wantW.Data))
	}
	if tensor.Norm(b.Grad.Data) != 0 {
		c.errorf("Backward", "wrote into B.Grad (a rule's business)")
	}
	if g := u.OutputGrad(); !matches(g, dy.Data) {
		c.errorf("OutputGrad", "does not return the last Backward's dy")
	}
	// Never W: the same backward pass with W scrambled sends the same error.
	scramble(c, w)
	if dx2 := u.Backward(dy); !matches(dx2, dx.Data) {
		c.errorf("Backward", "on the feedback route the input gradient moved when only W changed: it reads W")
	}
	if !closeTo(w.Grad.Data, scaled(2, wantW.Data)) {
		c.errorf("Backward", "a second Backward does not add into W.Grad")
	}
	// The backprop route: dx = Transpose(dy, W).
	u.SetRoute(nn.BackpropRoute)
	if u.Route() != nn.BackpropRoute {
		c.errorf("SetRoute", "Route() = %v after SetRoute(backprop)", u.Route())
	}
	if dx3 := u.Backward(dy); !matches(dx3, u.Transpose(dy, w.Value.Data, nil).Data) {
		c.errorf("Backward", "on the backprop route the input gradient is not Transpose(dy, W)")
	}
}

// transport checks that a transport replaces B on the feedback route only.
func (c *checker) transport() {
	c.t.Helper()
	u, x := c.fresh()
	w, b := u.Weights()
	y := u.Forward(x, true)
	dy := c.random(y.Shape...)
	sent := c.random(x.Shape...)
	var got *tensor.Tensor
	u.SetTransport(func(d, out *tensor.Tensor) *tensor.Tensor {
		got = d
		out = tensor.Ensure(out, sent.Shape...)
		copy(out.Data, sent.Data)
		return out
	})
	if dx := u.Backward(dy); !matches(dx, sent.Data) {
		c.errorf("SetTransport", "on the feedback route Backward does not return the transport's result")
	}
	if !matches(got, dy.Data) {
		c.errorf("SetTransport", "the transport was not given the upstream gradient")
	}
	u.SetRoute(nn.BackpropRoute)
	if dx := u.Backward(dy); !matches(dx, u.Transpose(dy, w.Value.Data, nil).Data) {
		c.errorf("SetTransport", "the backprop route used the transport")
	}
	u.SetRoute(nn.FeedbackRoute)
	u.SetTransport(nil)
	if dx := u.Backward(dy); !matches(dx, u.Transpose(dy, b.Value.Data, nil).Data) {
		c.errorf("SetTransport", "SetTransport(nil) did not restore B")
	}
}

// fused checks every nn.Fused path against its plain equivalent.
func (c *checker) fused() {
	c.t.Helper()
	u, x := c.fresh()
	f := u.(nn.Fused)
	w, b := u.Weights()
	plainY := u.Apply(x, w.Value.Data, nil)
	plainPb := u.Apply(x, b.Value.Data, nil)

	f.KeepFeedbackProjection(true)
	y := u.Forward(x, true).Clone()
	if p := f.Projection(); p != nil && !matches(p, plainY.Data) {
		c.errorf("Projection", "differs from Apply(x, W) by up to %.3g", maxDiff(p.Data[:p.Len()], plainY.Data))
	}
	if pb := f.FeedbackProjection(); pb != nil && !matches(pb, plainPb.Data) {
		c.errorf("FeedbackProjection", "differs from Apply(x, B) by up to %.3g", maxDiff(pb.Data[:pb.Len()], plainPb.Data))
	}
	u.Forward(x, false)
	if f.FeedbackProjection() != nil {
		c.errorf("FeedbackProjection", "not nil after an evaluation Forward")
	}
	f.KeepFeedbackProjection(false)
	if y2 := u.Forward(x, true); f.FeedbackProjection() != nil || !matches(y2, y.Data) {
		c.errorf("KeepFeedbackProjection", "off: FeedbackProjection is not nil, or the output moved")
	}

	// An input laid out on InputGrid: Apply and Filter give what they
	// give on the dense input, bit for bit.
	if g := f.InputGrid(x.Shape); g != nil {
		xg := tensor.OnGrid(nil, g, x.Shape...)
		for i := 0; i < x.Len(); i++ {
			xg.SetFlat(i, x.Data[i:i+1])
		}
		d := c.random(plainY.Shape...)
		want, got := make([]float32, w.Value.Len()), make([]float32, w.Value.Len())
		u.Filter(x, d, want, 0)
		u.Filter(xg, d, got, 0)
		if y := u.Apply(xg, w.Value.Data, nil); !slices.Equal(y.Data, plainY.Data) || !slices.Equal(got, want) {
			c.errorf("InputGrid", "Apply or Filter on the grid differs from the dense input's")
		}
		// Transpose into an out on the grid: there, or dense, the same values.
		tg := u.Transpose(d, w.Value.Data, tensor.OnGrid(nil, g, x.Shape...))
		if td := u.Transpose(d, w.Value.Data, nil); !slices.Equal(tg.Dense(nil).Data, td.Data[:td.Len()]) {
			c.errorf("InputGrid", "Transpose into an out on the grid differs from the dense one")
		}
	}

	// FilterAlong: the same Backward, plus Filter(x, D) into req.Grad.
	dy := c.random(plainY.Shape...)
	u.Backward(dy)
	plainDx := clone(u.Backward(dy)) // W.Grad now holds 2·Filter(x, dy)
	plainW := w.Grad.Clone()
	w.Grad.Zero()
	u.Forward(x, true)
	d := c.random(plainY.Shape...)
	want := tensor.New(w.Value.Shape...)
	u.Filter(x, d, want.Data, 0)
	req := &nn.FilterRequest{D: d, Grad: make([]float32, w.Value.Len())}
	if !f.FilterAlong(req) {
		return // declining is allowed; the rule then calls Filter itself
	}
	u.Backward(dy)
	dx := clone(u.Backward(dy))
	if !req.Done || !closeTo(req.Grad, want.Data) {
		c.errorf("FilterAlong", "Backward did not set Grad = Filter(x, D) and Done (Done %v, off by up to %.3g)", req.Done, maxDiff(req.Grad, want.Data))
	}
	if !closeTo(w.Grad.Data, plainW.Data) || (plainDx != nil && !closeTo(dx.Data, plainDx.Data)) {
		c.errorf("FilterAlong", "W.Grad or the input gradient differs from a plain Backward's")
	}
	// FilterAlong(nil) cancels; a Forward drops a pending request.
	req.Done = false
	f.FilterAlong(nil)
	u.Backward(dy)
	if req.Done {
		c.errorf("FilterAlong", "Backward served a request cancelled by FilterAlong(nil)")
	}
	if f.FilterAlong(req) {
		u.Forward(x, true)
		u.Backward(dy)
		if req.Done {
			c.errorf("FilterAlong", "Backward served a request made before the last Forward")
		}
	}
	if f.FilterAlong(&nn.FilterRequest{D: tensor.New(1), Grad: req.Grad}) {
		c.errorf("FilterAlong", "took a D of the wrong size")
	}
}

// scramble redraws p's value.
func scramble(c *checker, p *nn.Param) {
	for i := range p.Value.Data {
		p.Value.Data[i] = float32(c.rng.NormFloat64())
	}
}

// clone copies t (nil stays nil), so a layer's reused buffer can be kept.
func clone(t *tensor.Tensor) *tensor.Tensor {
	if t == nil {
		return nil
	}
	return t.Clone()
}

// near reports |a − b| ≤ tol·scale, scale the product of the norms that
// bound both inner products.
func near(a, b, scale float64) bool { return math.Abs(a-b) <= tol*scale }

func scaled(s float32, a []float32) []float32 {
	out := make([]float32, len(a))
	for i, v := range a {
		out[i] = s * v
	}
	return out
}

// maxDiff returns max |a − b| (+Inf when the lengths differ).
func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i, v := range a {
		m = max(m, math.Abs(float64(v)-float64(b[i])))
	}
	return m
}

// matches reports that t is not nil and its elements are closeTo want.
func matches(t *tensor.Tensor, want []float32) bool {
	return t != nil && closeTo(t.Data[:t.Len()], want)
}

// closeTo reports that a equals want to within tol of want's largest
// magnitude (and that neither holds a NaN).
func closeTo(a, want []float32) bool {
	var scale float64
	for _, v := range want {
		scale = max(scale, math.Abs(float64(v)))
	}
	d := maxDiff(a, want)
	return d <= tol*max(scale, 1e-30) && !math.IsNaN(d)
}
