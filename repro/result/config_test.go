package result

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateNamesTheField(t *testing.T) {
	cases := []struct {
		field string
		spoil func(*Config)
	}{
		{"-model", func(c *Config) { c.Model = "vgg" }},
		{"-rule", func(c *Config) { c.Rule = "magic" }},
		{"-epochs", func(c *Config) { c.Epochs = 0 }},
		{"-lr", func(c *Config) { c.LR = -1 }},
		{"-data", func(c *Config) { c.Data = "imagenet21k" }},
		{"-out", func(c *Config) { c.Out = "" }},
		{"-align-warmup", func(c *Config) { c.AlignWarmup = 1.5 }},
		{"-threads", func(c *Config) { c.Threads = 100000 }},
		{"-checkpoint-every", func(c *Config) { c.CheckpointEvery = -1 }},
		{"-val", func(c *Config) { c.Val = 2.5 }},
		{"-val", func(c *Config) { c.Val = math.Inf(1) }},
		{"-align", func(c *Config) { c.Rule, c.Align = "fa", "decay=1e-3" }},
		{"-align-input-batch", func(c *Config) { c.Rule, c.AlignInputBatch = "wm", -1 }},
		{"-align-input-batch", func(c *Config) { c.Rule, c.AlignInputBatch = "sa", 32 }},
		{"-align-input-batch", func(c *Config) { c.Rule, c.AlignInputBatch = "aa", c.Batch+1 }},
	}
	for _, c := range cases {
		cfg := Defaults()
		cfg.Out = "x"
		c.spoil(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("Validate with a bad %s = %v, want an error naming it", c.field, err)
		}
	}
}

// TestParseMilestones: fractions of the run, increasing, in (0, 1).
func TestParseMilestones(t *testing.T) {
	if fs, err := ParseMilestones("0.5, 0.75"); err != nil || len(fs) != 2 || fs[1] != 0.75 {
		t.Errorf(`ParseMilestones("0.5, 0.75") = %v, %v`, fs, err)
	}
	if fs, err := ParseMilestones(""); err != nil || fs != nil {
		t.Errorf(`ParseMilestones("") = %v, %v; want nil, nil`, fs, err)
	}
	for _, bad := range []string{"0.75,0.5", "1", "0", "x", "0.5,"} {
		if _, err := ParseMilestones(bad); err == nil {
			t.Errorf("ParseMilestones(%q): no error", bad)
		}
	}
	c := Defaults()
	c.Out, c.Milestones = "x", "0.5"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "-milestones") {
		t.Errorf("milestones with the cosine schedule: %v, want an error naming -milestones", err)
	}
	c.Schedule = "step"
	if err := c.Validate(); err != nil {
		t.Errorf("milestones with the step schedule: %v", err)
	}
}

// TestDefaultLR: every preset has a LeNet rate no higher than the ResNets'
// default; the ResNets keep the default.
func TestDefaultLR(t *testing.T) {
	for _, rule := range Rules() {
		lr := DefaultLR("lenet", rule)
		if !(lr > 0 && lr <= Defaults().LR) || DefaultLR("lenet-mnist", rule) != lr {
			t.Errorf("DefaultLR(lenet, %s) = %v, lenet-mnist %v", rule, lr, DefaultLR("lenet-mnist", rule))
		}
		if got := DefaultLR("resnet18", rule); got != Defaults().LR {
			t.Errorf("DefaultLR(resnet18, %s) = %v, want %v", rule, got, Defaults().LR)
		}
	}
	if DefaultLR("lenet", "fa") >= DefaultLR("lenet", "bp") {
		t.Error("FA's LeNet rate is not below backprop's")
	}
}

// TestDefaultLRMatchesSearch: each searched rule's LeNet rate is the lower of
// the MNIST and Fashion-MNIST rates committed by make repro-biotorch-lr
// (quick), so the defaults cannot drift from the search that chose them.
func TestDefaultLRMatchesSearch(t *testing.T) {
	const dir = "../results/biotorch-lenet-lr/quick"
	searchLowest := math.Inf(1)
	for rule, want := range leNetLR {
		lowest := math.Inf(1)
		for _, set := range []string{"mnist", "fashion-mnist"} {
			path := filepath.Join(dir, "lenet-mnist-"+rule+"-"+set+"-best.json")
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var best struct {
				Config struct{ LR float64 } `json:"config"`
			}
			if err := json.Unmarshal(raw, &best); err != nil || best.Config.LR <= 0 {
				t.Fatalf("%s: config.lr: %v", path, err)
			}
			lowest = math.Min(lowest, best.Config.LR)
		}
		searchLowest = math.Min(searchLowest, lowest)
		if want != lowest {
			t.Errorf("leNetLR[%s] = %v, the search chose %v", rule, want, lowest)
		}
	}
	if got := DefaultLR("lenet", "custom"); got != searchLowest {
		t.Errorf("an unsearched rule's LeNet rate is %v, want the lowest searched one, %v", got, searchLowest)
	}
}
