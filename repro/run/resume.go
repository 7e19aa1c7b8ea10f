package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/untied-ml/untied/core/checkpoint"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/npz"
	"github.com/untied-ml/untied/core/train"
	"github.com/untied-ml/untied/repro/result"
)

// checkpointFile holds an unfinished run's network, optimizer states and,
// under resultKey, its partial result with the loop state as JSON bytes:
// one atomic file, so what it says always matches what it holds.
const (
	checkpointFile = "checkpoint.npz"
	resultKey      = checkpoint.MetaPrefix + "result"
)

func optimizers(t *train.Trainer) []checkpoint.Optimizer {
	var out []checkpoint.Optimizer
	for _, o := range t.Optimizers {
		if c, ok := o.(checkpoint.Optimizer); ok {
			out = append(out, c)
		}
	}
	return out
}

// saveCheckpoint writes the network, optimizers and res (with its result.Resume)
// to DIR/checkpoint.npz atomically.
func saveCheckpoint(dir string, net nn.Module, t *train.Trainer, res *result.Record) error {
	arrays := checkpoint.Arrays(net, optimizers(t)...)
	b, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("run: checkpoint: %w", err)
	}
	ints := make([]int64, len(b))
	for i, c := range b {
		ints[i] = int64(c)
	}
	arrays[resultKey] = npz.Array{Shape: []int{len(ints)}, Ints: ints}
	return npz.Write(filepath.Join(dir, checkpointFile), arrays)
}

// ErrFinished says the output directory holds a finished run, which a run
// never overwrites.
var ErrFinished = errors.New("holds a finished run")

// resume looks for an earlier run in cfg.Out. With none it returns nil.
// With an unfinished run of the same configuration it restores the
// network, optimizers and step counter and returns the partial result to
// go on from. A finished run, or an unfinished one of another
// configuration, is an error: a run never overwrites a result. (A
// checkpoint that holds a finished result, written just before a crash,
// is returned as it is.)
//
// Two configurations are the same when their derived forms (cfg, as Run
// filled it in) are equal under result.Inert and, if the checkpoint recorded the
// request it started from, the requests (requested) are equal under
// Significant: the check a sweep makes before it resumes a cell. A
// checkpoint from before requests were recorded gets the current one.
func resume(cfg, requested result.Config, net nn.Module, t *train.Trainer) (*result.Record, error) {
	prev, err := result.Read(filepath.Join(cfg.Out, "result.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	case prev.Finished && prev.RequestedConfig != nil:
		// Asked again for the same run: it is done. Asked for another one
		// into the same directory: say so, it would otherwise look done.
		if diff := result.Differences(*prev.RequestedConfig, requested, result.Significant); len(diff) > 0 {
			return nil, fmt.Errorf("run: -out %s holds a finished run of another configuration (recorded → asked):\n  %s\nchoose another directory or remove it",
				cfg.Out, strings.Join(diff, "\n  "))
		}
		fallthrough
	case prev.Finished:
		return nil, fmt.Errorf("run: -out %s %w; choose another directory or remove it", cfg.Out, ErrFinished)
	}
	path := filepath.Join(cfg.Out, checkpointFile)
	arrays, err := npz.Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // interrupted before its first checkpoint: start afresh
	}
	if err != nil {
		return nil, fmt.Errorf("run: resuming %s: %w", cfg.Out, err)
	}
	raw, ok := arrays[resultKey]
	if !ok {
		return nil, fmt.Errorf("run: %s: no %s entry", path, resultKey)
	}
	b := make([]byte, len(raw.Ints))
	for i, v := range raw.Ints {
		b[i] = byte(v)
	}
	var res result.Record
	if err := json.Unmarshal(b, &res); err != nil || (res.Resume == nil && !res.Finished) {
		return nil, fmt.Errorf("run: %s: %s entry is not a run's result", path, resultKey)
	}
	var diff []string // the requests' differences, the cause, or else the derived ones
	if res.RequestedConfig != nil {
		diff = result.Differences(*res.RequestedConfig, requested, result.Significant)
	}
	if len(diff) == 0 {
		diff = result.Differences(res.Config, cfg, result.Inert)
	}
	if res.RequestedConfig == nil {
		res.RequestedConfig = &requested
	}
	if len(diff) > 0 {
		return nil, fmt.Errorf("run: -out %s holds an unfinished run of another configuration (it → now):\n  %s",
			cfg.Out, strings.Join(diff, "\n  "))
	}
	if res.Finished { // stopped between its final checkpoint and result.json
		return &res, nil
	}
	if err := checkpoint.Restore(arrays, net, optimizers(t)...); err != nil {
		return nil, fmt.Errorf("run: %s: %w", path, err)
	}
	t.SetSteps(res.Resume.Step)
	return &res, nil
}
