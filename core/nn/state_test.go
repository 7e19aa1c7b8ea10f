package nn_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

func newNet(t *testing.T, arch string, seed uint64) nn.Module {
	t.Helper()
	net, err := model.New(model.Config{Arch: arch, Width: 2, Classes: 10, InChannels: 1, InputSize: 28, SmallStem: true, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return net
}

func names(state []nn.Named) []string {
	var out []string
	for _, n := range state {
		out = append(out, n.Name)
	}
	return out
}

func TestStateNamesLeNet(t *testing.T) {
	var want []string
	for _, l := range []string{"conv1", "conv2", "fc1", "fc2", "fc3"} {
		want = append(want, l+".W", l+".B", l+".bias")
	}
	if d := cmp.Diff(want, names(nn.State(newNet(t, "lenet", 1)))); d != "" {
		t.Errorf("State(lenet) names (-want +got):\n%s", d)
	}
}

func TestStateNamesResNet(t *testing.T) {
	net := newNet(t, "resnet18", 1)
	got := names(nn.State(net))
	wantStart := []string{"stem.conv.W", "stem.conv.B", "stem.bn.gamma", "stem.bn.beta", "stem.bn.running_mean", "stem.bn.running_var",
		"layer1.0.conv1.W", "layer1.0.conv1.B", "layer1.0.bn1.gamma", "layer1.0.bn1.beta", "layer1.0.bn1.running_mean", "layer1.0.bn1.running_var"}
	if d := cmp.Diff(wantStart, got[:len(wantStart)]); d != "" {
		t.Errorf("State(resnet18) starts (-want +got):\n%s", d)
	}
	wantEnd := []string{"fc.W", "fc.B", "fc.bias"}
	if d := cmp.Diff(wantEnd, got[len(got)-3:]); d != "" {
		t.Errorf("State(resnet18) ends (-want +got):\n%s", d)
	}
	// Every parameter once, and two running statistics per BatchNorm.
	bns := 0
	nn.Walk(net, func(m nn.Module) {
		if bn, ok := m.(*nn.BatchNorm); ok {
			bns++
			for _, s := range []string{".running_mean", ".running_var"} {
				if !slices.Contains(got, bn.Name+s) {
					t.Errorf("State has no %s%s", bn.Name, s)
				}
			}
		}
	})
	params := net.Params()
	if len(got) != len(params)+2*bns {
		t.Errorf("State has %d tensors, want %d parameters + 2×%d BatchNorms", len(got), len(params), bns)
	}
	for _, p := range params {
		if !slices.Contains(got, p.Name) {
			t.Errorf("State has no parameter %s", p.Name)
		}
	}
	for _, n := range []string{"layer1.0.proj.conv.W", "layer1.0.proj.bn.running_var", "layer4.1.conv2.B", "layer4.1.bn2.gamma"} {
		if !slices.Contains(got, n) {
			t.Errorf("State has no %s", n)
		}
	}
}

// snapshot returns deep copies of a network's state, by name.
func snapshot(net nn.Module) map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{}
	for _, n := range nn.State(net) {
		out[n.Name] = n.Value.Clone()
	}
	return out
}

func input(seed uint64) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, seed))
	x := tensor.New(2, 1, 28, 28)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	return x
}

func TestLoadStateRoundTrip(t *testing.T) {
	for _, arch := range []string{"lenet", "resnet18"} {
		a, b := newNet(t, arch, 1), newNet(t, arch, 2)
		a.Forward(input(3), true) // move the running statistics off their init
		want := snapshot(a)
		if err := nn.LoadState(b, want); err != nil {
			t.Fatalf("%s: %v", arch, err)
		}
		if d := cmp.Diff(want, snapshot(b)); d != "" {
			t.Errorf("%s: state after LoadState (-want +got):\n%s", arch, d)
		}
		x := input(4)
		ya := a.Forward(x, false).Clone()
		yb := b.Forward(x, false)
		if !cmp.Equal(ya.Data, yb.Data) {
			t.Errorf("%s: evaluation outputs differ after LoadState", arch)
		}
	}
}

func TestStateShares(t *testing.T) {
	net := newNet(t, "resnet18", 1)
	for _, n := range nn.State(net) {
		n.Value.Fill(7)
	}
	for _, p := range net.Params() {
		if p.Value.Data[0] != 7 {
			t.Fatalf("writing State's %s did not reach the parameter", p.Name)
		}
	}
	nn.Walk(net, func(m nn.Module) {
		if bn, ok := m.(*nn.BatchNorm); ok && (bn.RunMean[0] != 7 || bn.RunVar[0] != 7) {
			t.Fatalf("writing State's running statistics did not reach %s", bn.Name)
		}
	})
}

func TestLoadStateErrors(t *testing.T) {
	net := newNet(t, "resnet18", 1)
	before := snapshot(net)
	bad := snapshot(newNet(t, "resnet18", 2))
	delete(bad, "layer2.0.conv1.B")
	bad["stem.bn.running_var"] = tensor.New(3)
	bad["fc.W"] = tensor.New(2, 10)
	bad["head.W"] = tensor.New(4, 4)
	err := nn.LoadState(net, bad)
	if err == nil {
		t.Fatal("LoadState with missing, misshapen and extra tensors succeeded")
	}
	for _, want := range []string{
		"missing layer2.0.conv1.B, want shape [4 2 3 3]",
		"stem.bn.running_var has shape [3] (3 values), want [2]",
		"fc.W has shape [2 10] (20 values), want [10 16]",
		"unexpected head.W (shape [4 4])",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("LoadState error\n%v\ndoes not say %q", err, want)
		}
	}
	if d := cmp.Diff(before, snapshot(net)); d != "" {
		t.Errorf("a failed LoadState changed the network (-before +after):\n%s", d)
	}
}

func TestLoadStateWrongFile(t *testing.T) {
	net := newNet(t, "resnet18", 1)
	wrong := map[string]*tensor.Tensor{}
	for i := range 50 {
		wrong[fmt.Sprintf("x%02d", i)] = tensor.New(1)
	}
	err := nn.LoadState(net, wrong)
	if err == nil {
		t.Fatal("LoadState of unrelated tensors succeeded")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 12 || !strings.Contains(lines[11], "and 168 more problems") {
		t.Errorf("LoadState error has %d lines, want 11 and a count of the rest:\n%v", len(lines), err)
	}
}
