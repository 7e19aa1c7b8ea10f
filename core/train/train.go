package train

import (
	"slices"

	"github.com/untied-ml/untied/core/data"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

// Optimizer applies one update from the parameters' gradients.
type Optimizer interface {
	Step()
}

// Rule is what a learning rule does to the feedback weights around a
// step. Before runs ahead of the forward pass (sign symmetry rewrites B
// there); AfterBackward runs once the task gradients are in Param.Grad and
// adds the alignment-loss gradients of B. Backprop and feedback alignment
// do nothing.
type Rule interface {
	Before(step int)
	AfterBackward(step int)
}

// BeforeBackwardRule is a Rule that also acts between the loss and the
// backward pass of every step, given the network's output error
// e = dL/dlogits ([N, classes], the mean cross-entropy's gradient): direct
// feedback alignment projects e to every layer; other rules may prepare
// work the backward pass can share. e is the Trainer's buffer, valid until
// the next step.
type BeforeBackwardRule interface {
	Rule
	BeforeBackward(e *tensor.Tensor)
}

// Trainer runs training steps of Net. Its buffers are reused, so a step
// allocates nothing once the first batch has been seen.
type Trainer struct {
	Net        nn.Module
	Rule       Rule        // nil for none
	Optimizers []Optimizer // stepped in order after the backward pass
	params     []*nn.Param
	logits     *tensor.Tensor // the last forward pass's output
	grad       *tensor.Tensor
	step       int
}

// New returns a Trainer of net.
func New(net nn.Module, rule Rule, opts ...Optimizer) *Trainer {
	return &Trainer{Net: net, Rule: rule, Optimizers: opts, params: net.Params()}
}

// Steps is the number of steps taken.
func (t *Trainer) Steps() int { return t.step }

// SetSteps sets the step counter, when resuming.
func (t *Trainer) SetSteps(n int) { t.step = n }

// Gradients computes one step's gradients without the update: the rule's
// Before, the forward pass in training mode, the softmax cross-entropy
// (whose gradient goes to a rule that reads the output error), the
// backward pass along each layer's route and the rule's AfterBackward, at
// the current step, leaving every gradient in Param.Grad. The step counter
// does not move. It returns the batch's mean cross-entropy and the number
// of correct top-1 predictions. Step is Gradients, then the optimizers.
func (t *Trainer) Gradients(x *tensor.Tensor, labels []int32) (loss float64, correct int) {
	return t.gradients(x, labels, nil, t.step)
}

// Logits returns the output of the last step's forward pass (nil before
// one): the network's buffer, valid until the next step.
func (t *Trainer) Logits() *tensor.Tensor { return t.logits }

// Step trains on one batch and returns its mean cross-entropy and the
// number of correct top-1 predictions (made before the update).
func (t *Trainer) Step(x *tensor.Tensor, labels []int32) (loss float64, correct int) {
	return t.StepWithReference(x, labels, nil)
}

// StepWithReference is Step that, when exact is not nil, first runs an
// extra backward pass with every untied layer on the backprop route and
// stores the exact gradient of the i-th untied layer's W (in forward order)
// in exact[i], so the rule's gradient can be compared with it. The backprop
// route ignores the layers' transports (nn.Untied.SetTransport), so the
// reference is exact under direct feedback alignment too. The update is the
// same as Step's.
func (t *Trainer) StepWithReference(x *tensor.Tensor, labels []int32, exact [][]float32) (loss float64, correct int) {
	loss, correct = t.gradients(x, labels, exact, t.step)
	for _, o := range t.Optimizers {
		o.Step()
	}
	t.step++
	return loss, correct
}

// AlignStep is one step of an alignment-only warm-up (the reference code's
// delay option): B aligns to the initial W before W starts to learn, so the
// first task updates already travel through aligned feedback. It runs the
// passes and the rule's alignment gradients of Step, at step 0 of the
// rule's schedule, then only opt, which should update B alone (W, BatchNorm
// and biases keep their values; BatchNorm's running statistics, which only
// evaluation reads, do move). The step counter does not move. It returns
// the batch's loss.
func (t *Trainer) AlignStep(x *tensor.Tensor, labels []int32, opt Optimizer) float64 {
	loss, _ := t.gradients(x, labels, nil, 0)
	opt.Step()
	return loss
}

// gradients runs the rule's Before, the forward and backward passes (with
// the reference pass into exact when it is not nil) and the rule's
// AfterBackward at step, leaving every gradient in Param.Grad.
func (t *Trainer) gradients(x *tensor.Tensor, labels []int32, exact [][]float32, step int) (loss float64, correct int) {
	t.zeroGrads()
	if t.Rule != nil {
		t.Rule.Before(step)
	}
	t.logits = t.Net.Forward(x, true)
	correct = nn.TopK(t.logits, labels, 1)
	loss, t.grad = nn.SoftmaxCrossEntropy(t.logits, labels, t.grad)
	if r, ok := t.Rule.(BeforeBackwardRule); ok {
		r.BeforeBackward(t.grad)
	}
	if exact != nil {
		t.exactGradients(exact)
		t.zeroGrads()
	}
	t.Net.Backward(t.grad)
	if t.Rule != nil {
		t.Rule.AfterBackward(step)
	}
	return loss, correct
}

func (t *Trainer) zeroGrads() {
	for _, p := range t.params {
		p.Grad.Zero()
	}
}

// exactGradients backpropagates the current loss gradient through W in
// every layer and copies each untied layer's W gradient into exact.
func (t *Trainer) exactGradients(exact [][]float32) {
	layers := nn.UntiedLayers(t.Net)
	routes := make([]nn.Route, len(layers))
	for i, l := range layers {
		routes[i] = l.Route()
		l.SetRoute(nn.BackpropRoute)
	}
	t.Net.Backward(t.grad)
	for i, l := range layers {
		w, _ := l.Weights()
		if len(exact[i]) != len(w.Grad.Data) {
			exact[i] = make([]float32, len(w.Grad.Data))
		}
		copy(exact[i], w.Grad.Data)
		l.SetRoute(routes[i])
	}
}

// Eval is a network's performance on a data set.
type Eval struct {
	Loss       float64 // mean cross-entropy
	Top1, Top5 float64 // percent
	N          int
	// Constant says every image got the same logits (to 1e-5 relative),
	// of two or more: the network's output no longer depends on its
	// input, as when every unit of a layer has died. Trained or freshly
	// initialised networks are never so.
	Constant bool
}

// Evaluate runs net in evaluation mode (BatchNorm's running statistics)
// over every batch of src (epoch 0) and returns the loss and accuracies.
func Evaluate(net nn.Module, src data.Source) (Eval, error) {
	var (
		x          *tensor.Tensor
		labels     []int32
		grad       *tensor.Tensor
		loss       float64
		top1, top5 int
		n          int
		err        error
		first      []float32 // the first image's logits
		constant   = true
	)
	for i := 0; i < src.Batches(); i++ {
		if x, labels, err = src.Batch(0, i, x, labels); err != nil {
			return Eval{}, err
		}
		logits := net.Forward(x, false)
		var bl float64
		bl, grad = nn.SoftmaxCrossEntropy(logits, labels, grad)
		loss += bl * float64(len(labels))
		top1 += nn.TopK(logits, labels, 1)
		top5 += nn.TopK(logits, labels, min(5, logits.Shape[1]))
		n += len(labels)
		if first == nil {
			first = slices.Clone(logits.Data[:logits.Shape[1]])
		}
		constant = constant && rowsEqual(logits, first)
	}
	if n == 0 {
		return Eval{}, nil
	}
	return Eval{Loss: loss / float64(n), Top1: 100 * float64(top1) / float64(n), Top5: 100 * float64(top5) / float64(n), N: n,
		Constant: constant && n > 1}, nil
}

// rowsEqual reports whether every row of the batch's logits equals row
// to 1e-5 relative to the row's largest magnitude.
func rowsEqual(logits *tensor.Tensor, row []float32) bool {
	var scale float32
	for _, v := range row {
		scale = max(scale, abs32(v))
	}
	tol := 1e-5 * max(scale, 1)
	for i := 0; i < logits.Shape[0]; i++ {
		for j, v := range logits.Data[i*len(row) : (i+1)*len(row)] {
			if abs32(v-row[j]) > tol {
				return false
			}
		}
	}
	return true
}

func abs32(v float32) float32 { return max(v, -v) }
