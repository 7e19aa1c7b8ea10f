package model

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/untied-ml/untied/core/nn"
)

func params(t *testing.T, cfg Config) map[string]*nn.Param {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ps := make(map[string]*nn.Param)
	for _, p := range m.Params() {
		if p.Name == "" || ps[p.Name] != nil {
			t.Errorf("%s: parameter name %q empty or repeated", cfg.Arch, p.Name)
		}
		ps[p.Name] = p
	}
	return ps
}

func TestParamNames(t *testing.T) {
	for _, arch := range Archs() {
		ps := params(t, small(arch))
		for name, p := range ps {
			suffix := map[nn.Kind][]string{nn.Forward: {".W"}, nn.Feedback: {".B"}, nn.Norm: {".gamma", ".beta"}, nn.Bias: {".bias"}}[p.Kind]
			if !slices.ContainsFunc(suffix, func(s string) bool { return strings.HasSuffix(name, s) }) {
				t.Errorf("%s: %q has kind %v, want a name ending in %v", arch, name, p.Kind, suffix)
			}
		}
	}
	// Names the checkpoints and the alignment code rely on, and the
	// structure they reveal (which blocks have projections, which BNs
	// exist in v1 and v2).
	tests := []struct {
		arch       string
		want, none []string
	}{
		{"lenet", []string{"conv1.W", "conv1.bias", "conv2.B", "fc1.W", "fc2.bias", "fc3.W"}, nil},
		{"resnet18", []string{"stem.conv.W", "stem.bn.gamma", "layer1.0.conv1.W", "layer1.0.bn2.beta",
			"layer1.0.proj.conv.W", "layer1.0.proj.bn.gamma", "layer2.0.proj.conv.B", "layer4.0.proj.bn.beta",
			"layer4.1.conv2.W", "fc.W", "fc.bias"},
			[]string{"layer1.1.proj.conv.W", "layer1.0.conv3.W", "stem.conv.bias", "layer1.0.conv1.bias"}},
		{"resnet50", []string{"layer1.0.conv3.W", "layer1.0.bn3.gamma", "layer1.0.proj.conv.W", "layer3.5.conv3.W"},
			[]string{"layer3.6.conv1.W", "layer2.1.proj.conv.W"}},
		{"resnet50v2", []string{"stem.conv.W", "layer1.0.pre.bn.gamma", "layer1.0.proj.conv.W", "layer4.2.pre.bn.beta", "final.bn.gamma", "fc.bias"},
			[]string{"stem.bn.gamma", "layer1.0.bn3.gamma", "layer1.0.proj.bn.gamma", "layer1.1.proj.conv.W"}},
		{"resnet20", []string{"stem.conv.W", "stem.bn.gamma", "layer2.0.proj.conv.W", "layer3.0.proj.bn.beta", "layer3.2.conv2.W"},
			[]string{"layer1.0.proj.conv.W", "layer2.1.proj.conv.W", "layer4.0.conv1.W"}},
	}
	for _, tt := range tests {
		cfg := small(tt.arch)
		cfg.Width = 0 // the published width: CIFAR group 1 keeps 16 channels, no projection
		ps := params(t, cfg)
		for _, n := range tt.want {
			if ps[n] == nil {
				t.Errorf("%s: no parameter %q", tt.arch, n)
			}
		}
		for _, n := range tt.none {
			if ps[n] != nil {
				t.Errorf("%s: unexpected parameter %q", tt.arch, n)
			}
		}
	}
}

// TestZeroGamma checks the initial BN scales: 0 on the last BN of each v1
// ImageNet residual branch, 1 everywhere else (CIFAR ResNets follow He et
// al. and start every γ at 1).
func TestZeroGamma(t *testing.T) {
	for _, arch := range []string{"resnet18", "resnet50", "resnet50v2", "resnet20"} {
		for name, p := range params(t, small(arch)) {
			if p.Kind != nn.Norm || !strings.HasSuffix(name, ".gamma") {
				continue
			}
			last := arch == "resnet18" && strings.HasSuffix(name, ".bn2.gamma") ||
				arch == "resnet50" && strings.HasSuffix(name, ".bn3.gamma")
			want := float32(1)
			if last {
				want = 0
			}
			for _, v := range p.Value.Data {
				if v != want {
					t.Errorf("%s: %s starts at %v, want %v", arch, name, v, want)
					break
				}
			}
		}
	}
}

func TestSeed(t *testing.T) {
	for _, arch := range []string{"lenet", "resnet18", "resnet50v2", "resnet20"} {
		cfg := small(arch)
		a, b := params(t, cfg), params(t, cfg)
		cfg.Seed++
		c := params(t, cfg)
		for name, p := range a {
			if !slices.Equal(p.Value.Data, b[name].Value.Data) {
				t.Errorf("%s: %s differs between two builds with seed %d", arch, name, cfg.Seed-1)
			}
			if (p.Kind == nn.Forward || p.Kind == nn.Feedback) && slices.Equal(p.Value.Data, c[name].Value.Data) {
				t.Errorf("%s: %s is the same for seeds %d and %d", arch, name, cfg.Seed-1, cfg.Seed)
			}
		}
	}
}

func TestFeedbackDiffersFromForward(t *testing.T) {
	for _, arch := range Archs() {
		m, err := New(small(arch))
		if err != nil {
			t.Fatal(err)
		}
		layers := nn.UntiedLayers(m)
		if len(layers) == 0 {
			t.Fatalf("%s: no untied layers", arch)
		}
		for _, l := range layers {
			w, b := l.Weights()
			if slices.Equal(w.Value.Data, b.Value.Data) {
				t.Errorf("%s: %s and %s are equal", arch, w.Name, b.Name)
			}
		}
	}
}

func TestArchs(t *testing.T) {
	want := []string{"lenet", "lenet-mnist", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
		"resnet50v2", "resnet101v2", "resnet152v2", "resnet20", "resnet56"}
	got := Archs()
	if !slices.Equal(got, want) {
		t.Errorf("Archs() = %v, want %v", got, want)
	}
	got[0] = "changed"
	if Archs()[0] != "lenet" {
		t.Error("Archs returns the package's own slice")
	}
}

func TestConfigErrors(t *testing.T) {
	ok := Config{Arch: "resnet18", Classes: 10, InChannels: 3, InputSize: 32}
	with := func(f func(*Config)) Config {
		c := ok
		f(&c)
		return c
	}
	tests := []struct {
		cfg  Config
		want []string // substrings of the error; nil for no error
	}{
		{ok, nil},
		{with(func(c *Config) { c.Arch = "resnet19" }), []string{"Arch", `"resnet19"`, "lenet", "resnet152v2", "resnet56"}},
		{with(func(c *Config) { c.Arch = "" }), []string{"Arch"}},
		{with(func(c *Config) { c.Classes = 1 }), []string{"Classes", "≥ 2"}},
		{with(func(c *Config) { c.InChannels = 0 }), []string{"InChannels", "≥ 1"}},
		{with(func(c *Config) { c.Width = -4 }), []string{"Width", "0"}},
		{with(func(c *Config) { c.InputSize = 0 }), []string{"InputSize"}},
		{with(func(c *Config) { c.InputSize = 28 }), []string{"InputSize", "28", "≥ 32", "SmallStem"}},
		{with(func(c *Config) { c.InputSize = 28; c.SmallStem = true }), nil},
		{with(func(c *Config) { c.InputSize = 8; c.SmallStem = true }), nil},
		{with(func(c *Config) { c.InputSize = 7; c.SmallStem = true }), []string{"InputSize", "≥ 8"}},
		{with(func(c *Config) { c.Arch = "resnet50v2"; c.InputSize = 31 }), []string{"InputSize", "≥ 32"}},
		{with(func(c *Config) { c.Arch = "resnet20"; c.InputSize = 4 }), nil},
		{with(func(c *Config) { c.Arch = "resnet56"; c.InputSize = 3 }), []string{"InputSize", "≥ 4"}},
		{with(func(c *Config) { c.Arch = "lenet"; c.InputSize = 16 }), nil},
		{with(func(c *Config) { c.Arch = "lenet"; c.InputSize = 15 }), []string{"InputSize", "lenet", "≥ 16"}},
		{with(func(c *Config) { c.Arch = "lenet-mnist"; c.InputSize = 32 }), nil},
		{with(func(c *Config) { c.Arch = "lenet-mnist"; c.InputSize = 28 }), []string{"InputSize", "lenet-mnist", "want 32"}},
	}
	for _, tt := range tests {
		m, err := New(tt.cfg)
		switch {
		case tt.want == nil && err != nil:
			t.Errorf("New(%+v): %v", tt.cfg, err)
		case tt.want == nil && m == nil:
			t.Errorf("New(%+v) = nil, nil", tt.cfg)
		case tt.want != nil && err == nil:
			t.Errorf("New(%+v) succeeded, want an error mentioning %q", tt.cfg, tt.want)
		case tt.want != nil:
			if m != nil {
				t.Errorf("New(%+v) returned a module with its error", tt.cfg)
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("New(%+v) error %q does not mention %q", tt.cfg, err, s)
				}
			}
		}
	}
}

// TestLeNetMNISTIsXavier: BioTorch's LeNetMNIST draws W and B
// Xavier-uniform (its benchmarks' "init": "xavier"), so every untied
// layer's InitStd is √(2/(fanIn+fanOut)) and its weights lie within
// √(6/(fanIn+fanOut)); the other networks keep He's √(2/fanIn).
func TestLeNetMNISTIsXavier(t *testing.T) {
	for _, arch := range []string{"lenet-mnist", "lenet"} {
		net, err := New(Config{Arch: arch, Classes: 10, InChannels: 1, InputSize: 32, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range nn.UntiedLayers(net) {
			w, _ := u.Weights()
			taps := w.Value.Len() / (w.Value.Shape[0] * w.Value.Shape[1]) // K² for a conv, 1 for a dense layer
			fanIn, fanOut := w.Value.Shape[1]*taps, w.Value.Shape[0]*taps
			want := math.Sqrt(2 / float64(fanIn))
			if arch == "lenet-mnist" {
				want = math.Sqrt(2 / float64(fanIn+fanOut))
				a := float32(math.Sqrt(3) * want)
				for _, v := range w.Value.Data {
					if v <= -a || v >= a {
						t.Fatalf("%s %s: W holds %v, outside Xavier's (−%v, %v)", arch, w.Name, v, a, a)
					}
				}
			}
			if got := u.InitStd(); math.Abs(got-want) > 1e-12*want {
				t.Errorf("%s %s: InitStd %v, want %v", arch, w.Name, got, want)
			}
		}
	}
}

// TestLeNetMNISTLayers: the layer chain is BioTorch's LeNetMNIST forward
// (its le_net.py), ReLU after each of the three convs and after fc1.
func TestLeNetMNISTLayers(t *testing.T) {
	net, err := New(Config{Arch: "lenet-mnist", Classes: 10, InChannels: 1, InputSize: 32, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range net.(*nn.Sequential).Layers {
		got = append(got, strings.TrimPrefix(fmt.Sprintf("%T", l), "*nn."))
	}
	want := []string{"Conv2D", "ReLU", "MaxPool", "Conv2D", "ReLU", "MaxPool", "Conv2D", "ReLU", "Flatten", "Dense", "ReLU", "Dense"}
	if !slices.Equal(got, want) {
		t.Errorf("lenet-mnist layers\n got %v\nwant %v", got, want)
	}
}
