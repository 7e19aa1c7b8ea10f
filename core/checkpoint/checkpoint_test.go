package checkpoint

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/npz"
	"github.com/untied-ml/untied/core/optim"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/core/train"
)

// setup returns a width-2 ResNet-18 and its two optimizers (task with
// update noise, B alone), as the runner builds them.
func setup(t *testing.T, seed uint64) (nn.Module, []*optim.SGD) {
	t.Helper()
	net, err := model.New(model.Config{Arch: "resnet18", Width: 2, Classes: 10, InChannels: 1, InputSize: 8, SmallStem: true, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	task, err := optim.NewSGD(net.Params(), optim.SGDConfig{LR: optim.Constant(0.1), Momentum: 0.9, Nesterov: true,
		WeightDecay: 1e-4, Filter: optim.ExceptKinds(nn.Feedback),
		Noise: &optim.Noise{Variance: 1e-4, Dist: optim.Normal, Site: optim.SiteAll, Seed: 7}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := optim.NewSGD(net.Params(), optim.SGDConfig{LR: optim.Constant(0.1), Momentum: 0.9, Filter: optim.OnlyKinds(nn.Feedback)})
	if err != nil {
		t.Fatal(err)
	}
	return net, []*optim.SGD{task, b}
}

func batch() (*tensor.Tensor, []int32) {
	r := rand.New(rand.NewPCG(1, 2))
	x := tensor.New(4, 1, 8, 8)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	return x, []int32{0, 3, 9, 3}
}

func step(net nn.Module, opts []*optim.SGD) {
	x, y := batch()
	tr := train.New(net, nil, opts[0], opts[1])
	tr.Step(x, y)
}

func both(opts []*optim.SGD) []Optimizer { return []Optimizer{opts[0], opts[1]} }

// TestResume saves after two steps, loads into a network and optimizers
// built from another seed, and checks that one more step gives the same
// network as an uninterrupted run.
func TestResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.npz")
	net, opts := setup(t, 1)
	step(net, opts)
	step(net, opts)
	if err := Save(path, net, both(opts)...); err != nil {
		t.Fatal(err)
	}
	step(net, opts)

	net2, opts2 := setup(t, 2)
	if err := Load(path, net2, both(opts2)...); err != nil {
		t.Fatal(err)
	}
	step(net2, opts2)
	want, got := Arrays(net, both(opts)...), Arrays(net2, both(opts2)...)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("resumed run differs (-uninterrupted +resumed):\n%s", d)
	}
}

func TestNames(t *testing.T) {
	net, opts := setup(t, 1)
	a := Arrays(net, both(opts)...)
	for _, name := range []string{"stem.conv.W", "stem.bn.running_mean", "fc.bias",
		"opt.0.step", "opt.0.velocity.fc.W", "opt.0.velocity.stem.bn.gamma", "opt.1.step", "opt.1.velocity.layer1.0.conv1.B"} {
		if _, ok := a[name]; !ok {
			t.Errorf("Arrays has no %s", name)
		}
	}
	for _, name := range []string{"opt.0.noise", "opt.0.velocity.fc.B", "opt.1.velocity.fc.W"} {
		if _, ok := a[name]; ok {
			t.Errorf("Arrays has %s", name)
		}
	}
	if s := a["opt.0.velocity.layer1.0.conv1.W"].Shape; !cmp.Equal(s, []int{2, 2, 3, 3}) {
		t.Errorf("velocity shape %v, want the parameter's [2 2 3 3]", s)
	}
}

// TestOldNoiseStateIsReadPast: checkpoints from when update noise was a
// PCG stream hold its state as opt.<i>.noise; they still load.
func TestOldNoiseStateIsReadPast(t *testing.T) {
	net, opts := setup(t, 1)
	a := Arrays(net, both(opts)...)
	a["opt.0.noise"] = npz.Array{Shape: []int{3}, Ints: []int64{1, 2, 255}}
	net2, opts2 := setup(t, 2)
	if err := Restore(a, net2, both(opts2)...); err != nil {
		t.Errorf("Restore of a checkpoint with opt.0.noise: %v", err)
	}
}

// TestNetworkOnly reads a network alone from a training checkpoint.
func TestNetworkOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.npz")
	net, opts := setup(t, 1)
	step(net, opts)
	if err := Save(path, net, both(opts)...); err != nil {
		t.Fatal(err)
	}
	net2, _ := setup(t, 2)
	if err := Load(path, net2); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(Arrays(net), Arrays(net2)); d != "" {
		t.Errorf("network differs after Load (-saved +loaded):\n%s", d)
	}
}

func TestLoadErrors(t *testing.T) {
	net, opts := setup(t, 1)
	step(net, opts)

	cases := []struct {
		name   string
		change func(map[string]npz.Array)
		want   string
	}{
		{"no optimizer state", func(a map[string]npz.Array) {
			for k := range a {
				if strings.HasPrefix(k, "opt.1.") {
					delete(a, k)
				}
			}
		}, "missing opt.1.step"},
		{"no velocity", func(a map[string]npz.Array) { delete(a, "opt.0.velocity.fc.W") }, "optimizer 0"},
		{"int weight", func(a map[string]npz.Array) { a["fc.W"] = npz.Array{Shape: []int{10, 16}, Ints: make([]int64, 160)} }, "fc.W is an integer array"},
		{"bad field", func(a map[string]npz.Array) { a["opt.0.lr"] = npz.Array{Shape: []int{}, Data: []float32{1}} }, "unknown optimizer field"},
		{"bad index", func(a map[string]npz.Array) { a["opt.x.step"] = npz.Array{Shape: []int{}, Ints: []int64{1}} }, "opt.<index>"},
		{"missing weight", func(a map[string]npz.Array) { delete(a, "layer3.1.bn2.running_var") }, "missing layer3.1.bn2.running_var"},
	}
	for _, c := range cases {
		a := Arrays(net, both(opts)...)
		for k, v := range a { // deep copy: Arrays shares the network's storage
			v.Data = append([]float32(nil), v.Data...)
			a[k] = v
		}
		c.change(a)
		net2, opts2 := setup(t, 2)
		before := Arrays(net2, both(opts2)...)
		for k, v := range before {
			v.Data = append([]float32(nil), v.Data...)
			before[k] = v
		}
		err := Restore(a, net2, both(opts2)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Restore = %v, want an error saying %q", c.name, err, c.want)
		}
		if d := cmp.Diff(before, Arrays(net2, both(opts2)...)); d != "" {
			t.Errorf("%s: a failed Restore changed the network or optimizers:\n%s", c.name, d)
		}
	}
}
