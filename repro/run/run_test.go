package run

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/untied-ml/untied/core/align"
	"github.com/untied-ml/untied/repro/result"
)

// smokeConfig is a short run of a narrow ResNet-18 (BatchNorm keeps every
// rule stable) on synthetic data.
func smokeConfig(t *testing.T, rule string) result.Config {
	cfg := result.Defaults()
	cfg.Data, cfg.Model, cfg.Width, cfg.Rule = "synthetic", "resnet18", 4, rule
	cfg.Epochs, cfg.Batch, cfg.TrainLimit, cfg.MetricsEvery = 2, 64, 256, 3
	cfg.AlignScale = 1 // raw coefficients; the derived scale has its own test
	cfg.Out = t.TempDir()
	return cfg
}

// TestEveryRuleRunsDeterministically trains each rule twice with the same
// seed and checks every recorded metric is identical, that result.json and
// metrics.jsonl hold them, and that the alignment scale was recorded.
func TestEveryRuleRunsDeterministically(t *testing.T) {
	for _, rule := range result.Rules() {
		if rule == "custom" {
			continue
		}
		a, err := Run(smokeConfig(t, rule), nil)
		if err != nil {
			t.Errorf("rule %s: %v", rule, err)
			continue
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
		onDisk, err := result.Read(filepath.Join(a.Config.Out, "result.json"))
		if err != nil {
			t.Fatal(err)
		}
		if onDisk.TestTop1 != a.TestTop1 || onDisk.Config.Rule != rule || !onDisk.Finished {
			t.Errorf("rule %s: result.json = top1 %v rule %q finished %v, want %v %q true",
				rule, onDisk.TestTop1, onDisk.Config.Rule, onDisk.Finished, a.TestTop1, rule)
		}
		spec, _ := align.Preset(rule)
		if spec.TrainB != (onDisk.Config.AlignScale > 0) {
			t.Errorf("rule %s: recorded align_scale %v", rule, onDisk.Config.AlignScale)
		}
		lines := readLines(t, filepath.Join(a.Config.Out, "metrics.jsonl"))
		if want := 3; len(lines) != want { // steps 0, 3, 6 of 8
			t.Errorf("rule %s: %d metrics lines, want %d", rule, len(lines), want)
		}
		if rule == "bp" && a.MeanWeightAngle != 0 {
			t.Errorf("bp mean weight angle %v, want 0 (its error goes through W)", a.MeanWeightAngle)
		}
		if rule == "fa" && a.MeanWeightAngle < 80 {
			t.Errorf("fa mean weight angle %v, want ≈ 90 (B random and fixed)", a.MeanWeightAngle)
		}
	}
}

func readLines(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// TestDerivedAlignScale checks the recorded scale and τ of SA follow
// docs/rules.md §5: τ = 1/(2·α·Scale·lr) = AlignTime·T, but never below
// align.MinTau steps.
func TestDerivedAlignScale(t *testing.T) {
	for _, c := range []struct {
		steps   int
		wantTau float64
	}{{10000, result.DefaultAlignTime * 10000}, {400, 10}} {
		cfg := result.Defaults()
		cfg.Rule = "sa"
		req, err := cfg.RuleRequest(c.steps)
		if err != nil {
			t.Fatal(err)
		}
		spec, err := align.Resolve(req)
		if err != nil {
			t.Fatal(err)
		}
		cfg = withRule(cfg, spec)
		// α = 1e-3 for SA's decay term.
		tau := 1 / (2 * 1e-3 * spec.Scale * cfg.LR)
		if math.Abs(tau-c.wantTau) > 1e-9*c.wantTau || math.Abs(cfg.AlignTau-c.wantTau) > 1e-9*c.wantTau {
			t.Errorf("SA over %d steps: scale %v gives τ %v (recorded %v), want %v", c.steps, spec.Scale, tau, cfg.AlignTau, c.wantTau)
		}
	}
}

// TestLeNetLearns checks a whole run learns the synthetic task.
func TestLeNetLearns(t *testing.T) {
	cfg := result.Defaults()
	cfg.Data, cfg.Model, cfg.Epochs, cfg.Batch, cfg.LR, cfg.Out = "synthetic", "lenet", 2, 64, 0.01, t.TempDir()
	res, err := Run(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.TestTop1 < 50 {
		t.Errorf("bp lenet synthetic test top-1 %.1f%%, want ≥ 50%% (chance 10%%)", res.TestTop1)
	}
}

// TestRevision reads the commit from a binary's build settings, marked
// dirty when the tree had changes, and nothing when there is no commit.
func TestRevision(t *testing.T) {
	for _, tc := range []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{nil, ""},
		{[]debug.BuildSetting{{Key: "vcs.modified", Value: "true"}}, ""},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}, "abc"},
		{[]debug.BuildSetting{{Key: "vcs.modified", Value: "true"}, {Key: "vcs.revision", Value: "abc"}}, "abc-dirty"},
	} {
		if got := revision(tc.settings); got != tc.want {
			t.Errorf("revision(%v) = %q, want %q", tc.settings, got, tc.want)
		}
	}
}

// TestValidationSplit checks -val holds out the last training images: the
// training set shrinks by exactly that many (so no held-out image is
// trained on), val_top1 is reported per epoch, and a fraction counts from
// the whole training set.
func TestValidationSplit(t *testing.T) {
	cfg := smokeConfig(t, "bp")
	cfg.TrainLimit, cfg.Epochs = 0, 1
	for _, c := range []struct {
		val             float64
		wantVal, wantTr int
	}{{0, 0, 1024}, {200, 200, 824}, {0.25, 256, 768}} {
		cfg.Val = c.val
		in, err := loadInputs(cfg)
		if err != nil {
			t.Fatal(err)
		}
		gotVal := 0
		if in.val != nil {
			gotVal = in.val.Len()
		}
		if gotVal != c.wantVal || in.train.Len() != c.wantTr {
			t.Errorf("-val %v: %d held out, %d trained on; want %d and %d", c.val, gotVal, in.train.Len(), c.wantVal, c.wantTr)
		}
	}
	cfg.Val = 1024
	if _, err := loadInputs(cfg); err == nil || !strings.Contains(err.Error(), "-val") {
		t.Errorf("-val 1024 of 1024 images: error %v, want one naming -val", err)
	}
	cfg.Val, cfg.TrainLimit = 256, 256
	res, err := Run(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := res.Epochs[0]
	if res.ValTop1 <= 0 || e.ValTop1 != res.ValTop1 || e.ValLoss <= 0 || e.ValLoss == e.TestLoss {
		t.Errorf("val_top1 %v (epoch 1: %v), val loss %v, test loss %v: want a held-out measure of its own", res.ValTop1, e.ValTop1, e.ValLoss, e.TestLoss)
	}
}

// TestLogHasPlainLines checks a run logging to a file (no terminal) writes
// the plain line of each epoch and no progress-bar frames.
func TestLogHasPlainLines(t *testing.T) {
	cfg := smokeConfig(t, "bp")
	var log bytes.Buffer
	if _, err := Run(cfg, &log); err != nil {
		t.Fatal(err)
	}
	if s := log.String(); strings.Contains(s, "\r") || strings.Count(s, "\nepoch ") != cfg.Epochs {
		t.Errorf("log of a 2-epoch run, not on a terminal:\n%q\nwant two epoch lines and no carriage returns", s)
	}
}
