package run

import (
	"testing"

	"github.com/untied-ml/untied/repro/result"
)

// TestEstimateMemorySchedules: the probes take steps of their own, so a
// run's schedule (step milestones, a warm-up of whole epochs, as the full
// and imagenet profiles have) does not stop the estimate.
func TestEstimateMemorySchedules(t *testing.T) {
	for _, sched := range []struct {
		name   string
		warmup float64
	}{{"step", 0}, {"step", 2}, {"cosine", 5}, {"constant", 1}} {
		cfg := result.Defaults()
		cfg.Data, cfg.Model, cfg.Width, cfg.Epochs = "synthetic", "resnet18", 4, 10
		cfg.Schedule, cfg.WarmupEpochs = sched.name, sched.warmup
		m, err := EstimateMemory(cfg)
		if err != nil {
			t.Errorf("%s, warm-up %g epochs: %v", sched.name, sched.warmup, err)
			continue
		}
		if m.Train <= 0 || m.Model <= 0 {
			t.Errorf("%s, warm-up %g: estimate %+v, want positive training and model memory", sched.name, sched.warmup, m)
		}
	}
}
