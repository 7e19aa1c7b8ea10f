package nntest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

// recorder is a T that keeps the failures instead of reporting them.
type recorder struct{ errs []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func newDense() *nn.Dense {
	return nn.NewDense("fc", 12, 5, true, rand.New(rand.NewPCG(3, 4)))
}

func newConv() *nn.Conv2D {
	return nn.NewConv2D("conv", 3, 4, 3, 1, 1, false, rand.New(rand.NewPCG(5, 6)))
}

// readsW sends the error through W on the feedback route.
type readsW struct{ *nn.Dense }

func (l readsW) Backward(dy *tensor.Tensor) *tensor.Tensor {
	r := l.Dense.Route()
	l.SetRoute(nn.BackpropRoute)
	defer l.SetRoute(r)
	return l.Dense.Backward(dy)
}

// doubleFilter's Filter is twice the gradient.
type doubleFilter struct{ *nn.Dense }

func (l doubleFilter) Filter(x, dy *tensor.Tensor, dw []float32, beta float32) {
	l.Dense.Filter(x, dy, dw, beta)
	tensor.Scale(2, dw)
}

// flippedTranspose's Transpose is minus the adjoint.
type flippedTranspose struct{ *nn.Dense }

func (l flippedTranspose) Transpose(dy *tensor.Tensor, w []float32, out *tensor.Tensor) *tensor.Tensor {
	out = l.Dense.Transpose(dy, w, out)
	tensor.Scale(-1, out.Data[:out.Len()])
	return out
}

// ignoresTransport never calls its transport.
type ignoresTransport struct{ *nn.Dense }

func (ignoresTransport) SetTransport(nn.Transport) {}

// staleProjection's FeedbackProjection is x∘W, not x∘B.
type staleProjection struct{ *nn.Conv2D }

func (l staleProjection) FeedbackProjection() *tensor.Tensor { return l.Conv2D.Projection() }

// lateFilter serves FilterAlong requests made before the last Forward.
type lateFilter struct {
	*nn.Conv2D
	req *nn.FilterRequest
}

func (l *lateFilter) FilterAlong(req *nn.FilterRequest) bool {
	l.req = req
	return l.Conv2D.FilterAlong(req)
}

func (l *lateFilter) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	y := l.Conv2D.Forward(x, train)
	if l.req != nil {
		l.Conv2D.FilterAlong(l.req)
	}
	return y
}

// TestRunCatchesBrokenLayers: each deliberately broken layer fails the
// check that names its fault, and the sound layers it wraps pass.
func TestRunCatchesBrokenLayers(t *testing.T) {
	dense := []int{4, 12}
	conv := []int{2, 3, 6, 6}
	cases := []struct {
		name  string
		new   func() nn.Untied
		shape []int
		want  string // a failure containing this; "" for none
	}{
		{"dense", func() nn.Untied { return newDense() }, dense, ""},
		{"conv", func() nn.Untied { return newConv() }, conv, ""},
		{"reads W", func() nn.Untied { return readsW{newDense()} }, dense, "Backward: on the feedback route the input gradient is not Transpose(dy, B)"},
		{"double Filter", func() nn.Untied { return doubleFilter{newDense()} }, dense, "Filter: not the gradient"},
		{"flipped Transpose", func() nn.Untied { return flippedTranspose{newDense()} }, dense, "Transpose: not the adjoint"},
		{"ignores transport", func() nn.Untied { return ignoresTransport{newDense()} }, dense, "SetTransport: on the feedback route"},
		{"stale projection", func() nn.Untied { return staleProjection{newConv()} }, conv, "FeedbackProjection: differs from Apply(x, B)"},
		{"late filter", func() nn.Untied { return &lateFilter{Conv2D: newConv()} }, conv, "FilterAlong: Backward served a request made before the last Forward"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r recorder
			Run(&r, Layer{Name: c.name, New: c.new, InputShape: c.shape})
			all := strings.Join(r.errs, "\n")
			switch {
			case c.want == "" && len(r.errs) > 0:
				t.Errorf("a sound layer failed:\n%s", all)
			case c.want != "" && !strings.Contains(all, c.want):
				t.Errorf("failures %q do not include %q", all, c.want)
			}
		})
	}
}
