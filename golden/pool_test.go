package golden

// Layer 2b, the parameter-free layers: ReLU, max-pool, global average
// pool, Flatten, against the float64 reference.

import (
	"math"

	"testing"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/golden/internal/ref"
)

// TestReLUMatchesReference: ReLU selects and masks without arithmetic, so
// the tolerance is 0 (the float32 values are exactly the float64 ones).
func TestReLUMatchesReference(t *testing.T) {
	r := newRand(1400)
	x, dy := normals(r, 2*3*4*5), normals(r, 2*3*4*5)
	x[0], x[1] = 0, math.Copysign(0, -1) // the kink itself, ±0: ReLU'(0) = 0
	var l nn.ReLU
	y := l.Forward(tensorOf(x, 2, 3, 4, 5), true)
	within(t, "relu y", y.Data, ref.ReLU(x), zeroTol(len(x)))
	dx := l.Backward(tensorOf(dy, 2, 3, 4, 5))
	within(t, "relu dx", dx.Data, ref.ReLUBackward(x, dy), zeroTol(len(x)))
}

// TestMaxPoolMatchesReference: the forward pass selects (tolerance 0); the
// backward pass adds the gradients of the windows an input wins, at most
// ⌈K/S⌉² of them: γ_{⌈K/S⌉²}·Σ|dy| routed the same way.
func TestMaxPoolMatchesReference(t *testing.T) {
	for pi, p := range poolCases {
		r := newRand(1500 + uint64(pi))
		x := normals(r, p.N*p.C*p.H*p.W)
		wy, arg := p.Forward(x)
		dy := normals(r, len(wy))
		l := nn.NewMaxPool(p.K, p.Stride, p.Pad)
		y := l.Forward(tensorOf(x, p.N, p.C, p.H, p.W), true)
		if !y.SameShape(p.N, p.C, p.OutH(), p.OutW()) {
			t.Fatalf("pool %d: shape %v, want [%d %d %d %d]", pi, y.Shape, p.N, p.C, p.OutH(), p.OutW())
		}
		within(t, "maxpool y", y.Data, wy, zeroTol(len(wy)))
		dx := l.Backward(tensorOf(dy, p.N, p.C, p.OutH(), p.OutW()))
		over := (p.K + p.Stride - 1) / p.Stride
		within(t, "maxpool dx", dx.Data, p.Backward(dy, arg), scale(gamma(over*over), p.Backward(ref.Abs(dy), arg)))
	}
}

// TestGlobalAvgPoolMatchesReference: the forward pass sums hw float32
// values and divides, γ_{hw}·mean|x|; the backward pass divides once,
// γ₁·|dy|/hw.
func TestGlobalAvgPoolMatchesReference(t *testing.T) {
	const n, c, h, w = 3, 4, 3, 5
	r := newRand(1600)
	x, dy := normals(r, n*c*h*w), normals(r, n*c)
	var l nn.GlobalAvgPool
	y := l.Forward(tensorOf(x, n, c, h, w), true)
	if !y.SameShape(n, c) {
		t.Fatalf("gap: shape %v, want [%d %d]", y.Shape, n, c)
	}
	within(t, "gap y", y.Data, ref.GAP(x, n*c, h*w), scale(gamma(h*w), ref.GAP(ref.Abs(x), n*c, h*w)))
	dx := l.Backward(tensorOf(dy, n, c))
	within(t, "gap dx", dx.Data, ref.GAPBackward(dy, h*w), scale(gamma(1), ref.GAPBackward(ref.Abs(dy), h*w)))
}

// TestFlatten: a reshape, both ways, with no arithmetic (tolerance 0).
func TestFlatten(t *testing.T) {
	r := newRand(1700)
	x, dy := normals(r, 2*3*2*2), normals(r, 2*12)
	var l nn.Flatten
	y := l.Forward(tensorOf(x, 2, 3, 2, 2), true)
	if !y.SameShape(2, 12) {
		t.Errorf("flatten: shape %v, want [2 12]", y.Shape)
	}
	within(t, "flatten y", y.Data, x, zeroTol(len(x)))
	dx := l.Backward(tensorOf(dy, 2, 12))
	if !dx.SameShape(2, 3, 2, 2) {
		t.Errorf("flatten dx: shape %v, want [2 3 2 2]", dx.Shape)
	}
	within(t, "flatten dx", dx.Data, dy, zeroTol(len(dy)))
}
