package run

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/repro/result"
)

// TestInterruptedRunResumesExactly stops a run mid-epoch, resumes it, and
// checks the result equals an uninterrupted run's, metric for metric, and
// that metrics.jsonl holds each measurement once.
func TestInterruptedRunResumesExactly(t *testing.T) {
	cfg := smokeConfig(t, "sa")
	cfg.CheckpointEvery, cfg.MetricsEvery = 2, 1
	cfg.Val, cfg.CurveEvery, cfg.CurveImages = 64, 1, 32
	want, err := Run(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, stopAt := range []int{3, 4, 6} { // mid-epoch, at the epoch's end, just after a checkpoint
		cfg.Out = t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		afterStepHook = func(step int, _ nn.Module) {
			if step == stopAt {
				cancel()
			}
		}
		_, err := RunContext(ctx, cfg, nil)
		afterStepHook = nil
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("stop at %d: RunContext = %v, want an error wrapping context.Canceled", stopAt, err)
		}
		got, err := Run(cfg, nil)
		if err != nil {
			t.Fatalf("stop at %d: resuming: %v", stopAt, err)
		}
		if len(got.Epochs) != len(want.Epochs) || got.Steps != want.Steps || !got.Finished {
			t.Fatalf("stop at %d: resumed run has %d epochs, %d steps, finished %v; want %d, %d, true",
				stopAt, len(got.Epochs), got.Steps, got.Finished, len(want.Epochs), want.Steps)
		}
		for i := range want.Epochs {
			g, w := got.Epochs[i], want.Epochs[i]
			g.Seconds, w.Seconds = 0, 0
			if g != w {
				t.Errorf("stop at %d, epoch %d: resumed %+v, uninterrupted %+v", stopAt, i+1, g, w)
			}
		}
		if diff := cmp.Diff(want.Curve, got.Curve); diff != "" || len(got.Curve) != want.Steps {
			t.Errorf("stop at %d: learning curve of %d points (want %d), resumed vs uninterrupted:\n%s", stopAt, len(got.Curve), want.Steps, diff)
		}
		b, _ := os.ReadFile(filepath.Join(cfg.Out, "metrics.jsonl"))
		if n := strings.Count(string(b), "\n"); n != want.Steps {
			t.Errorf("stop at %d: %d metrics lines, want one per step (%d)", stopAt, n, want.Steps)
		}
	}
}

func TestFinishedRunIsNeverOverwritten(t *testing.T) {
	cfg := smokeConfig(t, "bp")
	if _, err := Run(cfg, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(cfg.Out, "result.json"))
	if _, err := Run(cfg, nil); !errors.Is(err, ErrFinished) {
		t.Errorf("second Run into a finished directory = %v, want ErrFinished", err)
	}
	// Another configuration into the finished directory: refused too, not
	// reported as already done, with the differing field named.
	faster := cfg
	faster.LR = cfg.LR * 2
	if _, err := Run(faster, nil); err == nil || errors.Is(err, ErrFinished) || !strings.Contains(err.Error(), "lr: ") {
		t.Errorf("Run of another configuration into a finished directory = %v, want an error naming lr, not ErrFinished", err)
	}
	after, _ := os.ReadFile(filepath.Join(cfg.Out, "result.json"))
	if string(before) != string(after) {
		t.Errorf("a refused run changed result.json")
	}
	// The request is recorded as asked: align_scale 1, which Run clears for bp.
	res, err := result.Read(filepath.Join(cfg.Out, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res.RequestedConfig == nil {
		t.Errorf("result.json has no requested_config")
	} else if d := cmp.Diff(cfg, *res.RequestedConfig); d != "" {
		t.Errorf("requested_config differs from the configuration passed to Run (-want +got):\n%s", d)
	}
	other := cfg
	other.Out = t.TempDir()
	other.CheckpointEvery = 1
	ctx, cancel := context.WithCancel(context.Background())
	afterStepHook = func(int, nn.Module) { cancel() }
	RunContext(ctx, other, nil)
	afterStepHook = nil
	other.LR *= 2
	if _, err := Run(other, nil); err == nil || !strings.Contains(err.Error(), "another configuration") ||
		!strings.Contains(err.Error(), "lr: 0.05 → 0.1") {
		t.Errorf("resuming with another learning rate = %v, want a refusal naming lr and both values", err)
	}
	// How often it checkpoints does not change a run: it resumes.
	other.LR /= 2
	other.CheckpointEvery = 0
	if _, err := Run(other, nil); err != nil {
		t.Errorf("resuming with another checkpoint_every = %v, want the run finished", err)
	}
}

// TestDeadNetworkIsDiverged: a run whose network's output stops
// depending on its input (here every parameter zeroed at the end of the
// first epoch) is finished as diverged though its loss stays near
// ln(classes), far inside lossBound.
func TestDeadNetworkIsDiverged(t *testing.T) {
	cfg := smokeConfig(t, "bp")
	steps := cfg.TrainLimit / cfg.Batch
	afterStepHook = func(step int, net nn.Module) {
		if step == steps {
			for _, p := range net.Params() {
				clear(p.Value.Data)
			}
		}
	}
	defer func() { afterStepHook = nil }()
	_, err := Run(cfg, nil)
	if !errors.Is(err, ErrDiverged) {
		t.Fatalf("Run with a dead network = %v, want ErrDiverged", err)
	}
	res, err := result.Read(filepath.Join(cfg.Out, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Diverged, "same output for every test image") || !strings.Contains(res.Diverged, "(epoch 1)") {
		t.Errorf("diverged %q; want the same output for every test image, in epoch 1", res.Diverged)
	}
}

// TestDivergedRunIsFinished: a run whose loss blows up is recorded as
// finished and diverged, with no accuracy, and never rerun.
func TestDivergedRunIsFinished(t *testing.T) {
	cfg := smokeConfig(t, "bp")
	cfg.LR, cfg.Schedule = 1e6, "constant"
	_, err := Run(cfg, nil)
	if !errors.Is(err, ErrDiverged) {
		t.Fatalf("Run at lr 1e6 = %v, want ErrDiverged", err)
	}
	res, err := result.Read(filepath.Join(cfg.Out, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Finished || res.Diverged == "" || res.TestTop1 != 0 {
		t.Errorf("diverged result: finished %v, diverged %q, top-1 %v; want true, a reason, 0 (no accuracy)", res.Finished, res.Diverged, res.TestTop1)
	}
	if _, err := Run(cfg, nil); !errors.Is(err, ErrFinished) {
		t.Errorf("rerunning a diverged run = %v, want ErrFinished", err)
	}
}
