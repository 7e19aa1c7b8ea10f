package result

import (
	"math"
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
