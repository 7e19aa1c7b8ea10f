package result

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/untied-ml/untied/core/atomicfile"
)

// Epoch is the record of one finished epoch.
type Epoch struct {
	Epoch     int     `json:"epoch"` // 1-based
	TrainLoss float64 `json:"train_loss"`
	TrainTop1 float64 `json:"train_top1"` // percent, on the training batches before each update
	TestLoss  float64 `json:"test_loss"`
	TestTop1  float64 `json:"test_top1"`
	TestTop5  float64 `json:"test_top5"`
	// ValLoss and ValTop1 are measured on the held-out part of the
	// training set (Config.Val); absent without one.
	ValLoss float64 `json:"val_loss,omitempty"`
	ValTop1 float64 `json:"val_top1,omitempty"`
	Seconds float64 `json:"seconds"` // training time of this epoch, evaluation excluded
	// WeightAngle is the mean over untied layers of angle(W, B) in degrees
	// at the end of the epoch (90 ± a little for unrelated weights).
	WeightAngle float64 `json:"weight_angle"`
}

// Record is the content of result.json.
type Record struct {
	// Config is the configuration the run trained with, as Run derived it
	// (threads, alignment scale and τ filled in).
	Config Config `json:"config"`
	// RequestedConfig is the configuration as it was asked for, before Run
	// derived anything: what a sweep compares with its experiment to find
	// results that no longer match it (Significant). Results written before
	// it was recorded lack it; nil means "unknown", and such results are
	// taken to match (nothing can be checked).
	RequestedConfig *Config `json:"requested_config,omitempty"`
	Finished        bool    `json:"finished"`
	// Diverged says where the loss stopped being a number, if it did; such
	// a run is finished and has no accuracy (tables print "diverged").
	Diverged string  `json:"diverged,omitempty"`
	Epochs   []Epoch `json:"epochs"`
	TestTop1 float64 `json:"test_top1"` // percent, after the last epoch
	TestTop5 float64 `json:"test_top5"`
	ValTop1  float64 `json:"val_top1,omitempty"` // percent, after the last epoch, with Config.Val
	// Curve is the learning curve with Config.CurveEvery: top-1 on a fixed
	// held-out slice every CurveEvery steps.
	Curve        []CurvePoint `json:"curve,omitempty"`
	ImagesPerSec float64      `json:"images_per_sec"` // training images per second of training time
	WallSeconds  float64      `json:"wall_seconds"`   // whole run, loading and evaluation included
	Steps        int          `json:"steps"`          // training steps taken
	Params       int          `json:"params"`         // W, BN and bias values (B excluded)
	// MeanWeightAngle is the final mean over untied layers of angle(W, B),
	// in degrees; 0 under bp, whose error travels through W itself.
	MeanWeightAngle float64 `json:"mean_weight_angle"`
	Machine         Machine `json:"machine"`
	// Resume is where an unfinished run's checkpoint.npz stands; nil once
	// the run has finished.
	Resume *Resume `json:"resume,omitempty"`
}

// CurvePoint is one point of a learning curve.
type CurvePoint struct {
	Step int     `json:"step"` // training steps taken
	Loss float64 `json:"loss"`
	Top1 float64 `json:"top1"` // percent
}

// Resume is the loop state of an unfinished run at its last checkpoint.
type Resume struct {
	Step         int     `json:"step"`  // training steps taken
	Epoch        int     `json:"epoch"` // 0-based epoch in progress
	Batch        int     `json:"batch"` // its next batch
	LossSum      float64 `json:"loss_sum"`
	Correct      int     `json:"correct"`
	Seen         int     `json:"seen"`
	EpochSeconds float64 `json:"epoch_seconds"` // training time of this epoch before this part of the run
	TrainSeconds float64 `json:"train_seconds"` // training time of the finished epochs
	Images       int     `json:"images"`        // images of the finished epochs
}

// Machine describes where a result was measured.
type Machine struct {
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	NumCPU     int    `json:"num_cpu"`
	GoVersion  string `json:"go_version"`
	// Revision is the commit of untied the binary was built from
	// ("-dirty" if its tree had changes), so that results of different
	// engines can be told apart: a change in the order of a sum moves
	// the sensitive rules' accuracies. Empty when the build has no VCS
	// information (go test, a build outside a checkout).
	Revision string `json:"revision,omitempty"`
	// PeakRSS is the process's peak resident memory in bytes when the
	// result was written (VmHWM, Linux; 0 elsewhere): the run's own for
	// `untied train`, the largest so far of a sweep's cells in one process.
	PeakRSS int64 `json:"peak_rss,omitempty"`
}

// WriteJSON writes v as indented JSON to path atomically (WriteFile).
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("result: encoding %s: %w", path, err)
	}
	return WriteFile(path, append(b, '\n'))
}

// WriteFile writes b to path atomically, readable by everyone
// (core/atomicfile): a reader sees the old file or the new one, never a
// part, and a crash never leaves a truncated result.
func WriteFile(path string, b []byte) error {
	if err := atomicfile.WriteBytes(path, b); err != nil {
		return fmt.Errorf("result: %w", err)
	}
	return nil
}

// Read reads a result.json.
func Read(path string) (*Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("result: %s: %w", path, err)
	}
	return &r, nil
}
