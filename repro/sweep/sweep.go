package sweep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/untied-ml/untied/repro/run"
)

// Status is the state of a cell's directory.
type Status int

const (
	Pending  Status = iota // nothing written yet
	Partial                // a result.json of unfinished epochs
	Finished               // a finished result.json: never rerun or overwritten
)

// StatusOf reads the state of cell c from its result.json.
func StatusOf(c Cell) Status {
	r, err := run.ReadResult(filepath.Join(c.Config.Out, "result.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist) || err != nil && r == nil:
		return Pending
	case r.Finished:
		return Finished
	}
	return Partial
}

// Options control a sweep.
type Options struct {
	// Context stops the sweep: the running cell writes a checkpoint and
	// the next sweep resumes it. Nil means never.
	Context  context.Context
	Progress io.Writer // overall and per-run progress; nil for none
	// KeepGoing runs the remaining cells after one fails (a diverged run,
	// say); the failures are returned together at the end.
	KeepGoing bool
}

// Run runs every cell that is not finished, in order, and reports overall
// progress and an ETA from the time the cells run so far took.
func Run(cells []Cell, opt Options) error {
	ctx := opt.Context
	if ctx == nil {
		ctx = context.Background()
	}
	w := opt.Progress
	if w == nil {
		w = io.Discard
	}
	var todo []Cell
	for _, c := range cells {
		if StatusOf(c) != Finished {
			todo = append(todo, c)
		}
	}
	fmt.Fprintf(w, "sweep: %d cells, %d finished, %d to run\n", len(cells), len(cells)-len(todo), len(todo))
	start := time.Now()
	var errs []error
	for i, c := range todo {
		eta := "?"
		if i > 0 {
			per := time.Since(start) / time.Duration(i)
			eta = (per * time.Duration(len(todo)-i)).Round(time.Second).String()
		}
		fmt.Fprintf(w, "sweep: [%d/%d] %s (ETA %s)\n", i+1, len(todo), c.ID(), eta)
		var prog io.Writer
		if opt.Progress != nil {
			prog = opt.Progress
		}
		res, err := run.RunContext(ctx, c.Config, prog)
		if errors.Is(err, run.ErrDiverged) {
			fmt.Fprintf(w, "sweep: %s: %v (recorded; the table marks it)\n", c.ID(), err)
			continue
		}
		if err != nil {
			err = fmt.Errorf("cell %s: %w", c.ID(), err)
			if !opt.KeepGoing || ctx.Err() != nil {
				return err
			}
			fmt.Fprintf(w, "sweep: %v\n", err)
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(w, "sweep: %s: top-1 %.2f%%, weight angle %.1f°, %.0f s\n", c.ID(), res.TestTop1, res.MeanWeightAngle, res.WallSeconds)
	}
	fmt.Fprintf(w, "sweep: done in %s\n", time.Since(start).Round(time.Second))
	return errors.Join(errs...)
}
