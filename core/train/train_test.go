package train

import (
	"testing"

	"github.com/untied-ml/untied/core/data"
	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/optim"
	"github.com/untied-ml/untied/core/tensor"
)

func newNet(t *testing.T, route nn.Route) (nn.Module, *Trainer) {
	t.Helper()
	net, err := model.New(model.Config{Arch: "resnet18", Width: 4, Classes: 10, InChannels: 1, InputSize: 12, SmallStem: true, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	nn.SetRoute(net, route)
	opt, err := optim.NewSGD(net.Params(), optim.SGDConfig{LR: optim.Constant(0.05), Momentum: 0.9, Filter: optim.ExceptKinds(nn.Feedback)})
	if err != nil {
		t.Fatal(err)
	}
	return net, New(net, nil, opt)
}

func batch(t *testing.T) (*tensor.Tensor, []int32, *data.Loader) {
	ds := data.Synthetic(64, 1, 12, 12, 10, 5)
	l, err := data.NewLoader(ds, data.LoaderConfig{Batch: 32})
	if err != nil {
		t.Fatal(err)
	}
	x, labels := l.Batch(0, 0, nil, nil)
	return x, labels, l
}

// TestReferencePassLeavesTheStepUnchanged: the extra backprop pass of
// StepWithReference must not change the update, and on the backprop route
// the reference gradient is the W gradient itself.
func TestReferencePassLeavesTheStepUnchanged(t *testing.T) {
	x, labels, _ := batch(t)
	for _, route := range []nn.Route{nn.FeedbackRoute, nn.BackpropRoute} {
		netA, a := newNet(t, route)
		netB, b := newNet(t, route)
		layers := nn.UntiedLayers(netB)
		exact := make([][]float32, len(layers))
		for range 3 {
			a.Step(x, labels)
			b.StepWithReference(x, labels, exact)
		}
		pa, pb := netA.Params(), netB.Params()
		for i := range pa {
			for j, v := range pa[i].Value.Data {
				if pb[i].Value.Data[j] != v {
					t.Fatalf("route %v: %s differs after StepWithReference", route, pa[i].Name)
				}
			}
		}
		for i, l := range layers {
			if l.Route() != route {
				t.Errorf("route %v: layer %d left on %v", route, i, l.Route())
			}
			w, _ := l.Weights()
			same := true
			for j, v := range exact[i] {
				same = same && v == w.Grad.Data[j]
			}
			// The output layer's W gradient involves no transport.
			if want := route == nn.BackpropRoute || i == len(layers)-1; same != want {
				t.Errorf("route %v: layer %d reference gradient equal to W.Grad = %v, want %v", route, i, same, want)
			}
		}
	}
}

func TestTrainingReducesLoss(t *testing.T) {
	x, labels, l := batch(t)
	net, tr := newNet(t, nn.BackpropRoute)
	first, _ := tr.Step(x, labels)
	var last float64
	for range 20 {
		last, _ = tr.Step(x, labels)
	}
	if !(last < first/2) {
		t.Errorf("loss on a fixed batch went from %v to %v in 20 steps, want below half", first, last)
	}
	if tr.Steps() != 21 {
		t.Errorf("Steps() = %d, want 21", tr.Steps())
	}
	ev, err := Evaluate(net, l.Source())
	if err != nil {
		t.Fatal(err)
	}
	if ev.N != 64 || ev.Top1 < 0 || ev.Top1 > 100 || ev.Top5 < ev.Top1 || ev.Constant {
		t.Errorf("Evaluate = %+v, want N 64, 0 ≤ top1 ≤ top5 ≤ 100 and outputs that depend on the input", ev)
	}
	for _, p := range net.Params() { // a dead network: every output is the same
		clear(p.Value.Data)
	}
	if ev, err = Evaluate(net, l.Source()); err != nil || !ev.Constant {
		t.Errorf("Evaluate of a zeroed network = %+v, %v; want Constant", ev, err)
	}
}

// pullRule pulls every untied layer's B toward its W (B.Grad += B − W) and
// records the steps it was called at.
type pullRule struct {
	layers []nn.Untied
	steps  []int
}

func (r *pullRule) Before(int) {}

func (r *pullRule) AfterBackward(step int) {
	r.steps = append(r.steps, step)
	for _, l := range r.layers {
		w, b := l.Weights()
		for i := range b.Value.Data {
			b.Grad.Data[i] += b.Value.Data[i] - w.Value.Data[i]
		}
	}
}

// TestAlignStep: an alignment-only step moves B (toward W, here) with the
// given optimizer alone, leaves every other parameter and the step counter
// as they were, and runs the rule at step 0; the task optimizers do not run.
func TestAlignStep(t *testing.T) {
	x, labels, _ := batch(t)
	net, tr := newNet(t, nn.FeedbackRoute)
	tr.Step(x, labels) // a task step first, so "step 0" is not the counter
	rule := &pullRule{layers: nn.UntiedLayers(net)}
	tr.Rule = rule
	bOpt, err := optim.NewSGD(net.Params(), optim.SGDConfig{LR: optim.Constant(0.5), Filter: optim.OnlyKinds(nn.Feedback)})
	if err != nil {
		t.Fatal(err)
	}
	before := map[string][]float32{}
	for _, p := range net.Params() {
		before[p.Name] = append([]float32(nil), p.Value.Data...)
	}
	dist := func() (d float64) {
		for _, l := range rule.layers {
			w, b := l.Weights()
			for i := range w.Value.Data {
				d += float64(b.Value.Data[i]-w.Value.Data[i]) * float64(b.Value.Data[i]-w.Value.Data[i])
			}
		}
		return d
	}
	d0 := dist()
	loss := tr.AlignStep(x, labels, bOpt)
	if !(loss > 0) {
		t.Errorf("AlignStep loss %v, want > 0", loss)
	}
	if d1 := dist(); !(d1 < 0.3*d0) {
		t.Errorf("‖B − W‖² went from %v to %v, want a factor (1−0.5)² = 0.25", d0, d1)
	}
	for _, p := range net.Params() {
		changed := false
		for i, v := range p.Value.Data {
			changed = changed || v != before[p.Name][i]
		}
		if changed != (p.Kind == nn.Feedback) {
			t.Errorf("%s (kind %v) changed = %v, want %v", p.Name, p.Kind, changed, p.Kind == nn.Feedback)
		}
	}
	if tr.Steps() != 1 {
		t.Errorf("Steps() = %d after AlignStep, want 1", tr.Steps())
	}
	if len(rule.steps) != 1 || rule.steps[0] != 0 {
		t.Errorf("rule ran at steps %v, want [0]", rule.steps)
	}
}
