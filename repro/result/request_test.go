package result

import (
	"slices"
	"testing"
)

func TestSignificantIgnoresWhatCannotChangeAResult(t *testing.T) {
	base := Defaults()
	base.Rule, base.Out = "sa", "a"
	cases := []struct {
		name string
		edit func(*Config)
		want []string // Differences(base, edited, Significant)
	}{
		{"where and how fast", func(c *Config) {
			c.Out, c.DataDir, c.Threads, c.CheckpointEvery = "b", "/data", 7, 3
		}, nil},
		{"fields Run sets", func(c *Config) { c.SmallStem, c.AlignTau, c.AlignTerms = true, 5, "decay=1" }, nil},
		{"noise site without noise", func(c *Config) { c.NoiseSite, c.NoiseDist = "b", "uniform" }, nil},
		{"noise site with noise", func(c *Config) { c.NoiseVar, c.NoiseSite = 1e-3, "b" },
			[]string{"noise_var: 0 → 0.001", `noise_site: "all" → "b"`}},
		{"alignment time", func(c *Config) { c.AlignTime = 0.01 }, []string{"align_time_fraction: 0.003 → 0.01"}},
		{"fields Run records", func(c *Config) { c.AlignInput = "data" }, nil},
		{"validation split", func(c *Config) { c.Val = 5000 }, []string{"val: 0 → 5000"}},
		{"rule", func(c *Config) { c.Rule = "bp" }, []string{`rule: "sa" → "bp"`}}, // not the alignment fields bp ignores
		{"metrics", func(c *Config) { c.MetricsEvery = 7 }, []string{"metrics_every: 100 → 7"}},
	}
	for _, c := range cases {
		edited := base
		c.edit(&edited)
		if got := Differences(base, edited, Significant); !slices.Equal(got, c.want) {
			t.Errorf("%s: Differences = %q, want %q", c.name, got, c.want)
		}
	}
	// A rule that does not train B ignores every alignment field.
	for _, rule := range []string{"bp", "fa", "usf", "dfa"} {
		a, b := base, base
		a.Rule, b.Rule = rule, rule
		b.AlignTime, b.AlignScale, b.AlignNorm, b.AlignLR, b.AlignInputNoise = 0.5, 2, false, 1, 0.1
		if d := Differences(a, b, Significant); d != nil {
			t.Errorf("rule %s: alignment fields differ as %q, want ignored (it does not train B)", rule, d)
		}
	}
	custom := base
	custom.Rule, custom.Align = "custom", "decay=1e-3"
	if d := Differences(custom, custom, Significant); d != nil {
		t.Errorf("a configuration differs from itself: %q", d)
	}
	other := custom
	other.AlignNorm = false
	if d := Differences(custom, other, Significant); !slices.Equal(d, []string{"align_norm: true → false"}) {
		t.Errorf("custom rule, align_norm changed: Differences = %q, want it named", d)
	}
}
