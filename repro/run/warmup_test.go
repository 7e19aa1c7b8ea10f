package run

import (
	"reflect"
	"testing"

	"github.com/untied-ml/untied/repro/result"
)

// TestAlignWarmup: an alignment-only warm-up changes a rule that trains B
// (its first task steps see aligned feedback, so the losses differ), is
// deterministic, and is ignored under a rule that does not train B.
func TestAlignWarmup(t *testing.T) {
	losses := func(cfg result.Config) []float64 {
		t.Helper()
		res, err := Run(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		var l []float64
		for _, e := range res.Epochs {
			l = append(l, e.TrainLoss, e.TestLoss)
		}
		return l
	}
	for _, rule := range []string{"sa", "fa", "kp"} {
		cfg := smokeConfig(t, rule)
		cfg.Epochs, cfg.AlignScale = 1, 100 // τ of 5 steps at lr 0.05: the warm-up aligns B
		plain := losses(cfg)
		cfg.AlignWarmup = 0.5
		cfg.Out = t.TempDir()
		warm := losses(cfg)
		cfg.Out = t.TempDir()
		again := losses(cfg)
		if !reflect.DeepEqual(warm, again) {
			t.Errorf("%s: warm-up runs differ: %v and %v", rule, warm, again)
		}
		if trains := rule == "sa"; reflect.DeepEqual(plain, warm) == trains {
			t.Errorf("%s: losses without warm-up %v, with %v: want them to differ = %v", rule, plain, warm, trains)
		}
	}
}
