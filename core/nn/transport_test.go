package nn

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/untied-ml/untied/core/tensor"
)

// transportCase is an untied layer, its input and an upstream gradient.
type transportCase struct {
	name   string
	layer  func(noInputGrad bool) Untied
	x, dy  *tensor.Tensor
	inSize int // elements of the input
}

func transportCases() []transportCase {
	r := rand.New(rand.NewPCG(5, 7))
	dense := func(no bool) Untied {
		d := NewDense("fc", 12, 4, true, rand.New(rand.NewPCG(1, 2)))
		d.NoInputGrad = no
		return d
	}
	conv := func(no bool) Untied {
		c := NewConv2D("conv", 2, 3, 3, 2, 1, true, rand.New(rand.NewPCG(1, 2)))
		c.NoInputGrad = no
		return c
	}
	return []transportCase{
		// A [N, C, H, W] input read as [N, 12] by the dense layer.
		{name: "dense", layer: dense, x: randTensor(r, 3, 3, 2, 2), dy: randTensor(r, 3, 4), inSize: 36},
		{name: "conv", layer: conv, x: randTensor(r, 3, 2, 5, 5), dy: randTensor(r, 3, 3, 3, 3), inSize: 150},
	}
}

// TestTransport checks that with a transport on the feedback route the
// input gradient is exactly the transport's output, in the input's shape,
// that the transport gets the upstream gradient and its last output back,
// and that the gradients of W and the bias are those without a transport.
// The backprop route, nil and NoInputGrad ignore the transport.
func TestTransport(t *testing.T) {
	for _, tc := range transportCases() {
		ref := tc.layer(false)
		ref.Forward(tc.x, true)
		want := ref.Backward(tc.dy).Clone()

		l := tc.layer(false)
		var calls int
		var sawDy, sawOut *tensor.Tensor
		var last *tensor.Tensor
		l.SetTransport(func(dy, out *tensor.Tensor) *tensor.Tensor {
			calls++
			sawDy, sawOut = dy, out
			out = tensor.Ensure(out, l.Input().Shape...)
			for i := range out.Data {
				out.Data[i] = float32(i%7) - 3 + float32(calls)
			}
			last = out
			return out
		})
		for step := 1; step <= 2; step++ {
			ZeroGrad(l)
			l.Forward(tc.x, true)
			dx := l.Backward(tc.dy)
			if calls != step || sawDy != tc.dy {
				t.Fatalf("%s step %d: transport called %d times with dy %p, want %d with %p", tc.name, step, calls, sawDy, step, tc.dy)
			}
			if step == 2 && sawOut != last {
				t.Errorf("%s: the transport did not get its last output back for reuse", tc.name)
			}
			if !slices.Equal(dx.Shape, tc.x.Shape) {
				t.Errorf("%s: dx shape %v, want the input's %v", tc.name, dx.Shape, tc.x.Shape)
			}
			for i, v := range dx.Data[:dx.Len()] {
				if w := float32(i%7) - 3 + float32(step); v != w {
					t.Fatalf("%s: dx[%d] = %v, want the transport's %v", tc.name, i, v, w)
				}
			}
			for i, p := range l.Params() {
				if !slices.Equal(p.Grad.Data, ref.Params()[i].Grad.Data) {
					t.Errorf("%s: %s gradient changed by the transport", tc.name, p.Name)
				}
			}
		}

		l.SetRoute(BackpropRoute)
		l.Forward(tc.x, true)
		wp, _ := l.Weights()
		bp := l.Transpose(tc.dy, wp.Value.Data, nil).Clone()
		if dx := l.Backward(tc.dy); calls != 2 || !slices.Equal(dx.Data[:dx.Len()], bp.Data[:bp.Len()]) {
			t.Errorf("%s: the backprop route used the transport (%d calls) or did not send dy through W", tc.name, calls)
		}

		l.SetRoute(FeedbackRoute)
		l.SetTransport(nil)
		l.Forward(tc.x, true)
		if dx := l.Backward(tc.dy); calls != 2 || !slices.Equal(dx.Data[:dx.Len()], want.Data[:want.Len()]) {
			t.Errorf("%s: SetTransport(nil) did not restore dy through B", tc.name)
		}

		first := tc.layer(true)
		first.SetTransport(func(dy, out *tensor.Tensor) *tensor.Tensor {
			t.Errorf("%s: transport called with NoInputGrad", tc.name)
			return out
		})
		first.Forward(tc.x, true)
		if dx := first.Backward(tc.dy); dx != nil {
			t.Errorf("%s: NoInputGrad Backward = %v, want nil", tc.name, dx.Shape)
		}
	}
}

// TestTransportWrongSize: a transport that returns the wrong number of
// elements is a programming error, caught by the layer.
func TestTransportWrongSize(t *testing.T) {
	for _, tc := range transportCases() {
		l := tc.layer(false)
		l.SetTransport(func(dy, out *tensor.Tensor) *tensor.Tensor { return tensor.Ensure(out, 1, tc.inSize-1) })
		l.Forward(tc.x, true)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Backward accepted a transport output of %d elements, want a panic", tc.name, tc.inSize-1)
				}
			}()
			l.Backward(tc.dy)
		}()
	}
}
