package run

import (
	"path/filepath"
	"strings"
	"testing"
)

func smokeConfig(t *testing.T, rule string) Config {
	cfg := Defaults()
	cfg.Data, cfg.Model, cfg.Rule, cfg.Epochs, cfg.Batch, cfg.LR = "synthetic", "lenet", rule, 2, 64, 0.01
	cfg.Out = t.TempDir()
	return cfg
}

// TestRunIsDeterministic trains the same configuration twice and checks
// every recorded metric is identical, and that result.json holds them.
func TestRunIsDeterministic(t *testing.T) {
	for _, rule := range Rules() {
		a, err := Run(smokeConfig(t, rule), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Run(smokeConfig(t, rule), nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range a.Epochs {
			ea, eb := a.Epochs[i], b.Epochs[i]
			ea.Seconds, eb.Seconds = 0, 0
			if ea != eb {
				t.Errorf("rule %s epoch %d: %+v then %+v with the same seed", rule, i+1, ea, eb)
			}
		}
		if !a.Finished || len(a.Epochs) != 2 {
			t.Errorf("rule %s: finished=%v after %d epochs, want true after 2", rule, a.Finished, len(a.Epochs))
		}
		if a.Epochs[1].TestTop1 < 50 {
			t.Errorf("rule %s: synthetic test top-1 %.1f%%, want ≥ 50%% (10 classes, chance 10%%)", rule, a.Epochs[1].TestTop1)
		}
		onDisk, err := ReadResult(filepath.Join(a.Config.Out, "result.json"))
		if err != nil {
			t.Fatal(err)
		}
		if onDisk.TestTop1 != a.TestTop1 || onDisk.Config.Rule != rule || !onDisk.Finished {
			t.Errorf("rule %s: result.json = top1 %v rule %q finished %v, want %v %q true",
				rule, onDisk.TestTop1, onDisk.Config.Rule, onDisk.Finished, a.TestTop1, rule)
		}
	}
}

func TestValidateNamesTheField(t *testing.T) {
	cases := map[string]func(*Config){
		"-model":  func(c *Config) { c.Model = "vgg" },
		"-rule":   func(c *Config) { c.Rule = "magic" },
		"-epochs": func(c *Config) { c.Epochs = 0 },
		"-lr":     func(c *Config) { c.LR = -1 },
		"-data":   func(c *Config) { c.Data = "imagenet21k" },
		"-out":    func(c *Config) { c.Out = "" },
	}
	for field, spoil := range cases {
		cfg := Defaults()
		cfg.Out = "x"
		spoil(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("Validate with a bad %s = %v, want an error naming it", field, err)
		}
	}
}
