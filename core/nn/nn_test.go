package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/untied-ml/untied/core/tensor"
)

func randTensor(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(r.NormFloat64())
	}
	return t
}

func TestSoftmaxCrossEntropyGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	z := randTensor(r, 3, 5)
	labels := []int32{0, 4, 2}
	_, g := SoftmaxCrossEntropy(z, labels, nil)
	const h = 1e-2
	for i := range z.Data {
		orig := z.Data[i]
		z.Data[i] = orig + h
		lp, _ := SoftmaxCrossEntropy(z, labels, tensor.New(3, 5))
		z.Data[i] = orig - h
		lm, _ := SoftmaxCrossEntropy(z, labels, tensor.New(3, 5))
		z.Data[i] = orig
		fd := (lp - lm) / (2 * h)
		if math.Abs(fd-float64(g.Data[i])) > 1e-3 {
			t.Errorf("dL/dz[%d] = %v, finite difference %v", i, g.Data[i], fd)
		}
	}
}

func TestTopK(t *testing.T) {
	z := tensor.FromData([]float32{0.1, 0.5, 0.4, 0.9, 0.0, 0.1}, 2, 3)
	if got := TopK(z, []int32{1, 2}, 1); got != 1 {
		t.Errorf("TopK(k=1) = %d, want 1", got)
	}
	if got := TopK(z, []int32{1, 2}, 2); got != 2 {
		t.Errorf("TopK(k=2) = %d, want 2", got)
	}
}

// TestFeedbackRouteUsesB checks that under the feedback route the input
// gradient depends on B and not on W, and that under backprop it is dy·W.
func TestFeedbackRouteUsesB(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	layers := []Untied{
		NewDense("d", 6, 4, true, r),
		NewConv2D("c", 2, 3, 3, 1, 1, false, r),
	}
	inputs := []*tensor.Tensor{randTensor(r, 5, 6), randTensor(r, 2, 2, 5, 5)}
	for li, l := range layers {
		x := inputs[li]
		y := l.Forward(x, true)
		dy := randTensor(r, y.Shape...)
		dx0 := l.Backward(dy).Clone()
		w, b := l.Weights()
		saved := w.Value.Clone()
		for i := range w.Value.Data {
			w.Value.Data[i] += float32(r.NormFloat64())
		}
		l.Forward(x, true)
		if dx := l.Backward(dy); !equal(dx.Data, dx0.Data) {
			t.Errorf("layer %d: changing W changed the feedback-route input gradient", li)
		}
		w.Value.CopyFrom(saved)
		b.Value.Data[0] += 1
		l.Forward(x, true)
		if dx := l.Backward(dy); equal(dx.Data, dx0.Data) {
			t.Errorf("layer %d: changing B left the feedback-route input gradient unchanged", li)
		}
		// Backprop route: the input gradient equals the transpose through W.
		l.SetRoute(BackpropRoute)
		l.Forward(x, true)
		got := l.Backward(dy).Clone()
		want := l.Transpose(dy, w.Value.Data, nil)
		if !equal(got.Data, want.Data) {
			t.Errorf("layer %d: backprop-route input gradient is not dy through W", li)
		}
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestXavierUniform: InitXavier redraws W and B on U(−a, a), a =
// √(6/(fanIn+fanOut)) with a conv's fans counting its taps, independently,
// with the standard deviation a/√3 (5 standard errors of the sample's) that
// InitStd then returns; before it, InitStd is He's √(2/fanIn).
func TestXavierUniform(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	conv := NewConv2D("c", 16, 120, 5, 1, 0, true, rng)
	dense := NewDense("d", 120, 84, true, rng)
	for _, tc := range []struct {
		u             Untied
		fanIn, fanOut int
		reinit        func(*rand.Rand)
	}{{conv, 16 * 25, 120 * 25, conv.InitXavier}, {dense, 120, 84, dense.InitXavier}} {
		if got, want := tc.u.InitStd(), math.Sqrt(2/float64(tc.fanIn)); got != want {
			t.Errorf("%T: InitStd before InitXavier = %v, want He's %v", tc.u, got, want)
		}
		tc.reinit(rng)
		a := math.Sqrt(6 / float64(tc.fanIn+tc.fanOut))
		if got, want := tc.u.InitStd(), a/math.Sqrt(3); math.Abs(got-want) > 1e-15 {
			t.Errorf("%T: InitStd = %v, want %v", tc.u, got, want)
		}
		w, b := tc.u.Weights()
		for _, p := range []*Param{w, b} {
			var s2 float64
			for _, v := range p.Value.Data {
				if math.Abs(float64(v)) >= a {
					t.Fatalf("%s: %v outside (−%v, %v)", p.Name, v, a, a)
				}
				s2 += float64(v) * float64(v)
			}
			n := float64(p.Value.Len())
			// Var of u² for u ~ U(−a, a) is 4a⁴/45.
			if got, want := s2/n, a*a/3; math.Abs(got-want) > 5*math.Sqrt(4*a*a*a*a/45/n) {
				t.Errorf("%s: mean square %v, want %v", p.Name, got, want)
			}
		}
		if w.Value.Data[0] == b.Value.Data[0] && w.Value.Data[1] == b.Value.Data[1] {
			t.Errorf("%T: W and B drawn alike", tc.u)
		}
	}
}

// TestGradArenaRefusesConvsInARow: a conv whose upstream gradient is the
// arena it would write to (the conv above it shares it) panics, naming
// itself, instead of reading what it overwrites.
func TestGradArenaRefusesConvsInARow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	a := new(GradArena)
	c1, c2 := NewConv2D("c1", 2, 3, 3, 1, 1, false, rng), NewConv2D("c2", 3, 3, 3, 1, 1, false, rng)
	c1.Grads, c2.Grads = a, a
	net := NewSequential(c1, c2)
	x := tensor.New(2, 2, 5, 5)
	y := net.Forward(x, true)
	defer func() {
		if msg := fmt.Sprint(recover()); !strings.Contains(msg, "c1") || !strings.Contains(msg, "GradArena") {
			t.Errorf("panic %q, want one naming c1 and the arena", msg)
		}
	}()
	net.Backward(tensor.New(y.Shape...))
}

// TestOwnShortcutGradChecksStorage: a block told its shortcut owns its
// input gradient, whose shortcut conv in fact shares the branch conv's
// GradArena, panics rather than add a gradient it overwrote.
func TestOwnShortcutGradChecksStorage(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	arena := &GradArena{}
	branch, short := NewConv2D("branch", 2, 3, 3, 1, 1, false, r), NewConv2D("short", 2, 3, 1, 1, 0, false, r)
	branch.Grads, short.Grads = arena, arena
	block := &Residual{Branch: branch, Shortcut: short, OwnShortcutGrad: true}
	x := randTensor(r, 2, 2, 5, 5)
	y := block.Forward(x, true)
	defer func() {
		if msg := fmt.Sprint(recover()); !strings.Contains(msg, "OwnShortcutGrad") {
			t.Fatalf("Backward with a shared arena: panic %q, want one naming OwnShortcutGrad", msg)
		}
	}()
	block.Backward(randTensor(r, y.Shape...))
}
