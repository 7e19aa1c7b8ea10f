package align

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/untied-ml/untied/core/data"
	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/optim"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/core/train"
)

// probe is an identity module that records the last input it saw forward
// and the last gradient it passed backward. Placed right before an untied
// layer, its dy is exactly that layer's input gradient.
type probe struct{ x, dy *tensor.Tensor }

func (p *probe) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	p.x = x.Clone()
	return x
}

func (p *probe) Backward(dy *tensor.Tensor) *tensor.Tensor {
	p.dy = dy.Clone()
	return dy
}

func (p *probe) Params() []*nn.Param { return nil }

const dfaClasses = 5

// probedNet is conv → ReLU → conv/2 → ReLU → flatten → dense → ReLU → dense
// on [N, 1, 8, 8] inputs, every layer computing its input gradient, with a
// probe before each untied layer (in[i] before the i-th) and one on the
// logits.
func probedNet(seed uint64) (net nn.Module, in []*probe, logits *probe) {
	rng := rand.New(rand.NewPCG(seed, 1))
	in = []*probe{{}, {}, {}, {}}
	logits = &probe{}
	net = nn.NewSequential(
		in[0], nn.NewConv2D("conv1", 1, 3, 3, 1, 1, true, rng), &nn.ReLU{},
		in[1], nn.NewConv2D("conv2", 3, 4, 3, 2, 1, false, rng), &nn.ReLU{}, &nn.Flatten{},
		in[2], nn.NewDense("fc1", 64, 7, true, rng), &nn.ReLU{},
		in[3], nn.NewDense("fc2", 7, dfaClasses, true, rng),
		logits)
	return net, in, logits
}

func dfaBatch(n int, seed uint64) (*tensor.Tensor, []int32) {
	rng := rand.New(rand.NewPCG(seed, 2))
	x := tensor.New(n, 1, 8, 8)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(rng.IntN(dfaClasses))
	}
	return x, labels
}

func newDFA(t *testing.T, net nn.Module, seed uint64) *Rule {
	t.Helper()
	spec, err := Preset("dfa")
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(spec, nn.UntiedLayers(net), 0, seed)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestDirectInputGradient: under dfa every untied layer's input gradient
// is e·D (e the loss gradient at the logits, D the layer's projection),
// in the input's shape, checked against a float64 computation; the output
// layer still gets e itself as its upstream gradient. The error of one
// element of e·D is at most classes·u32·Σ_k|e_k·D_kj| (a length-classes dot
// product) plus the rounding of e to float32.
func TestDirectInputGradient(t *testing.T) {
	net, in, logits := probedNet(3)
	r := newDFA(t, net, 11)
	tr := train.New(net, r) // no optimizer: the weights stay put
	layers := nn.UntiedLayers(net)
	for step := range 2 {
		x, labels := dfaBatch(6, uint64(step))
		tr.Step(x, labels)
		n := x.Shape[0]
		// e = (softmax(z) − onehot)/N from the logits, in float64.
		e := make([]float64, n*dfaClasses)
		z := logits.x.Data
		for i := range n {
			m := slices.Max(z[i*dfaClasses : (i+1)*dfaClasses])
			var s float64
			for k := range dfaClasses {
				s += math.Exp(float64(z[i*dfaClasses+k] - m))
			}
			for k := range dfaClasses {
				e[i*dfaClasses+k] = math.Exp(float64(z[i*dfaClasses+k]-m)) / s / float64(n)
			}
			e[i*dfaClasses+int(labels[i])] -= 1 / float64(n)
		}
		for j, v := range logits.dy.Data {
			if math.Abs(float64(v)-e[j]) > 8*u32*(1/float64(n)) {
				t.Fatalf("step %d: dL/dlogits[%d] = %v, want %v", step, j, v, e[j])
			}
		}
		if !slices.Equal(layers[3].OutputGrad().Data, logits.dy.Data) {
			t.Errorf("step %d: the output layer's upstream gradient is not e", step)
		}
		for i, p := range in {
			if !slices.Equal(p.dy.Shape, p.x.Shape) {
				t.Errorf("step %d layer %d: dx shape %v, want the input's %v", step, i, p.dy.Shape, p.x.Shape)
			}
			size := p.x.Len() / n
			d := r.Projection(i)
			if d == nil || !d.SameShape(dfaClasses, size) {
				t.Fatalf("step %d layer %d: projection %v, want [%d %d]", step, i, d, dfaClasses, size)
			}
			for s := range n {
				for j := range size {
					var want, abs float64
					for k := range dfaClasses {
						v := e[s*dfaClasses+k] * float64(d.Data[k*size+j])
						want += v
						abs += math.Abs(v)
					}
					got := float64(p.dy.Data[s*size+j])
					if tol := float64(dfaClasses+2) * u32 * abs; math.Abs(got-want) > tol {
						t.Fatalf("step %d layer %d: dx[%d, %d] = %v, want e·D = %v (tol %.3g)", step, i, s, j, got, want, tol)
					}
				}
			}
		}
	}
}

// TestDirectProjections: the projections are drawn once and kept across
// steps while W changes, are a function of the seed (the same for a new
// rule with the same seed, different for another), have the layer's He
// variance 2/fanIn, and a layer that computes no input gradient never gets
// one.
func TestDirectProjections(t *testing.T) {
	x, labels := dfaBatch(8, 1)
	run := func(seed uint64, steps int) (*Rule, []nn.Untied) {
		net, _, _ := probedNet(3)
		r := newDFA(t, net, seed)
		opt, err := optim.NewSGD(net.Params(), optim.SGDConfig{LR: optim.Constant(0.1), Filter: optim.ExceptKinds(nn.Feedback)})
		if err != nil {
			t.Fatal(err)
		}
		tr := train.New(net, r, opt)
		for range steps {
			tr.Step(x, labels)
		}
		return r, nn.UntiedLayers(net)
	}
	a, la := run(7, 1)
	first := make([][]float32, len(la))
	w0 := make([][]float32, len(la))
	for i, l := range la {
		first[i] = slices.Clone(a.Projection(i).Data)
		w, _ := l.Weights()
		w0[i] = slices.Clone(w.Value.Data)
	}
	b, lb := run(7, 4)
	c, _ := run(8, 1)
	var sq float64 // Σ D²/(2/fanIn)
	var cnt int
	for i := range la {
		w, _ := lb[i].Weights()
		if slices.Equal(w.Value.Data, w0[i]) {
			t.Errorf("layer %d: W did not change in 4 steps", i)
		}
		if !slices.Equal(b.Projection(i).Data, first[i]) {
			t.Errorf("layer %d: projection changed across steps or differs for the same seed", i)
		}
		if slices.Equal(c.Projection(i).Data, first[i]) {
			t.Errorf("layer %d: the same projection for seeds 7 and 8", i)
		}
		w, _ = la[i].Weights()
		fanIn := float64(w.Value.Len() / w.Value.Shape[0])
		for _, v := range first[i] {
			sq += float64(v) * float64(v) * fanIn / 2
			cnt++
		}
	}
	// The mean of cnt squares of N(0, 1) has standard deviation √(2/cnt).
	if v := sq / float64(cnt); math.Abs(v-1) > 5*math.Sqrt(2/float64(cnt)) {
		t.Errorf("projection variance %v·(2/fanIn) over %d entries, want the He variance 2/fanIn", v, cnt)
	}

	net, err := model.New(model.Config{Arch: "lenet", Classes: 10, InChannels: 1, InputSize: 16, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := newDFA(t, net, 1)
	x16 := tensor.New(4, 1, 16, 16)
	for i := range x16.Data {
		x16.Data[i] = float32(i%13) / 13
	}
	train.New(net, r).Step(x16, []int32{0, 3, 9, 1})
	for i, l := range nn.UntiedLayers(net) {
		d := r.Projection(i)
		if i == 0 {
			if d != nil {
				t.Errorf("lenet conv1 (NoInputGrad) got a projection %v", d.Shape)
			}
			continue
		}
		if x := l.Input(); d == nil || !d.SameShape(10, x.Len()/x.Shape[0]) {
			t.Errorf("lenet layer %d: projection %v for input %v", i, d, x.Shape)
		}
	}
}

// TestDirectReferenceIsBackprop: the exact-backprop reference pass of
// StepWithReference on a dfa network gives the W gradients of the same
// network trained by backprop (the same code path: the backprop route
// ignores transports, so they are equal bit for bit), while dfa's own
// gradients (from the backward pass that follows the reference) differ
// except at the output layer, whose upstream error is e. (The last conv of
// each residual branch, behind a zero-γ BatchNorm, has a zero gradient at
// initialisation under any rule.)
func TestDirectReferenceIsBackprop(t *testing.T) {
	cfg := model.Config{Arch: "resnet18", Width: 4, Classes: 10, InChannels: 1, InputSize: 12, SmallStem: true, Seed: 3}
	ds := data.Synthetic(16, 1, 12, 12, 10, 5)
	l, err := data.NewLoader(ds, data.LoaderConfig{Batch: 16})
	if err != nil {
		t.Fatal(err)
	}
	x, labels := l.Batch(0, 0, nil, nil)

	bpNet, _ := model.New(cfg)
	bp, _ := Preset("bp")
	bpRule, err := New(bp, nn.UntiedLayers(bpNet), 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	train.New(bpNet, bpRule).Step(x, labels)

	net, _ := model.New(cfg)
	r := newDFA(t, net, 1)
	tr := train.New(net, r)
	layers := nn.UntiedLayers(net)
	exact := make([][]float32, len(layers))
	tr.StepWithReference(x, labels, exact)
	last := len(layers) - 1
	for i, u := range nn.UntiedLayers(bpNet) {
		w, _ := u.Weights()
		if !slices.Equal(exact[i], w.Grad.Data) {
			t.Errorf("layer %d: reference gradient under dfa differs from backprop's", i)
		}
		dw, _ := layers[i].Weights()
		if tensor.Norm(w.Grad.Data) == 0 {
			continue
		}
		if same := slices.Equal(dw.Grad.Data, w.Grad.Data); same != (i == last) {
			t.Errorf("layer %d: dfa gradient equal to backprop's = %v, want %v", i, same, i == last)
		}
		if layers[i].Route() != nn.FeedbackRoute {
			t.Errorf("layer %d left on %v", i, layers[i].Route())
		}
	}
}

// TestDirectTrainingReducesLoss trains LeNet with dfa (W only, as the runner
// does for a rule without TrainB) on a fixed synthetic batch. LeNet has no
// BatchNorm: as under fa its stable rate is below backprop's (0.03 already
// diverges here), so the rate is 0.015.
func TestDirectTrainingReducesLoss(t *testing.T) {
	net, err := model.New(model.Config{Arch: "lenet", Classes: 10, InChannels: 1, InputSize: 28, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	l, err := data.NewLoader(data.Synthetic(64, 1, 28, 28, 10, 5), data.LoaderConfig{Batch: 64})
	if err != nil {
		t.Fatal(err)
	}
	x, labels := l.Batch(0, 0, nil, nil)
	r := newDFA(t, net, 4)
	opt, err := optim.NewSGD(net.Params(), optim.SGDConfig{LR: optim.Constant(0.015), Momentum: 0.9, Filter: optim.ExceptKinds(nn.Feedback)})
	if err != nil {
		t.Fatal(err)
	}
	tr := train.New(net, r, opt)
	b := slices.Clone(nn.UntiedLayers(net)[2].Params()[1].Value.Data)
	first, _ := tr.Step(x, labels)
	var last float64
	for range 30 {
		last, _ = tr.Step(x, labels)
	}
	if !(last < first/2) {
		t.Errorf("dfa loss on a fixed batch went from %v to %v in 30 steps, want below half", first, last)
	}
	if !slices.Equal(b, nn.UntiedLayers(net)[2].Params()[1].Value.Data) {
		t.Errorf("B changed under dfa")
	}
}

// TestDirectNeedsBeforeBackward: a backward pass after Before without
// BeforeBackward panics rather than using a stale error.
func TestDirectNeedsBeforeBackward(t *testing.T) {
	net, _, _ := probedNet(1)
	r := newDFA(t, net, 1)
	x, labels := dfaBatch(3, 1)
	train.New(net, r).Step(x, labels)
	r.Before(1)
	logits := net.Forward(x, true)
	_, e := nn.SoftmaxCrossEntropy(logits, labels, nil)
	defer func() {
		if v := recover(); v == nil || !strings.Contains(v.(string), "BeforeBackward") {
			t.Errorf("Backward without BeforeBackward: panic %v, want one naming BeforeBackward", v)
		}
	}()
	net.Backward(e)
}

// TestDirectCleared: New with another rule removes dfa's transports.
func TestDirectCleared(t *testing.T) {
	net, in, _ := probedNet(1)
	newDFA(t, net, 1)
	fa, _ := Preset("fa")
	if _, err := New(fa, nn.UntiedLayers(net), 0, 1); err != nil {
		t.Fatal(err)
	}
	x, labels := dfaBatch(3, 1)
	train.New(net, nil).Step(x, labels) // no BeforeBackward: dfa would panic
	fc2 := nn.UntiedLayers(net)[3]
	_, b := fc2.Weights()
	want := fc2.Transpose(fc2.OutputGrad(), b.Value.Data, nil)
	if !slices.Equal(in[3].dy.Data, want.Data) {
		t.Errorf("after New(fa) the input gradient of fc2 is not dy·B")
	}
}

// TestDirectAllocs: once the projections exist, BeforeBackward and the
// transports allocate nothing (dense layers allocate nothing themselves).
func TestDirectAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	net := nn.NewSequential(nn.NewDense("fc1", 16, 8, true, rng), &nn.ReLU{}, nn.NewDense("fc2", 8, dfaClasses, true, rng))
	r := newDFA(t, net, 1)
	x := tensor.New(4, 16)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	labels := []int32{0, 1, 2, 3}
	var e *tensor.Tensor
	step := func() {
		r.Before(0)
		_, e = nn.SoftmaxCrossEntropy(net.Forward(x, true), labels, e)
		r.BeforeBackward(e)
		net.Backward(e)
	}
	step()
	if got := testing.AllocsPerRun(10, step); got != 0 {
		t.Errorf("%v allocations per dfa step, want 0", got)
	}
}
