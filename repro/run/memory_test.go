package run

import (
	"math"
	"testing"

	"github.com/untied-ml/untied/repro/result"
)

// TestEstimateMemoryIsStable: the estimate does not depend on what the
// process ran before. The engine keeps buffers for the process's life once
// a step has needed them; counted as a batch's cost by whichever probe
// first allocates them, they made LeNet's training batch 0 or 20 MB from
// one run to the next. Placed first in the package so the first call is
// in a fresh process.
func TestEstimateMemoryIsStable(t *testing.T) {
	cfg := result.Defaults()
	cfg.Data, cfg.Model, cfg.Batch, cfg.Threads = "synthetic", "lenet", 128, 1
	var first Memory
	for i := range 3 {
		m, err := EstimateMemory(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = m
			continue
		}
		parts := []struct {
			name       string
			first, now float64
		}{{"training batch", first.Train, m.Train}, {"evaluation", first.Eval, m.Eval}, {"model", first.Model, m.Model}}
		for _, p := range parts {
			if p.now <= 0 || math.Abs(p.now-p.first) > 0.02*p.now {
				t.Errorf("call %d: %s %.2f MB, first call %.2f MB: want equal within 2 %%, positive", i+1, p.name, p.now/1e6, p.first/1e6)
			}
		}
	}
}

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
