package sweep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/untied-ml/untied/core/atomicfile"
	"github.com/untied-ml/untied/repro/result"
	"github.com/untied-ml/untied/repro/run"
)

// Status is the state of a cell's directory.
type Status int

const (
	Pending  Status = iota // nothing written yet
	Partial                // a result.json of unfinished epochs
	Finished               // a finished result.json: never rerun or overwritten
	// Stale is a result.json, finished or not, whose recorded request
	// differs from the cell's configuration (the experiment was edited
	// since): never run, resumed, overwritten or counted as done.
	Stale
	// Failed is a cell whose last attempt ended in an error (not an
	// interruption): its FailedFile says which. It is run again, resuming
	// from its checkpoint if it has one.
	Failed
)

// FailedFile, in a cell's directory, holds the error of the cell's last
// failed attempt; a finished result supersedes it.
const FailedFile = "failed.txt"

// String names the status, for messages.
func (s Status) String() string {
	switch s {
	case Pending:
		return "pending"
	case Partial:
		return "partial"
	case Finished:
		return "finished"
	case Stale:
		return "stale"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// StatusOf reads the state of cell c from its result.json (that of its
// current run: see ResultPath).
func StatusOf(c Cell) Status {
	_, s, _ := current(c)
	return s
}

// inspect reads the state of cell c from its result.json and returns it,
// the record (nil if none could be read) and, for a stale cell, the error
// that says why. A result's request is compared with the
// cell's configuration under result.Significant, which leaves out what cannot
// change a result (directories, threads, checkpoint interval, ...); a
// result written before requests were recorded cannot be checked and is
// taken to match.
func inspect(c Cell) (Status, *result.Record, error) {
	r, err := result.Read(filepath.Join(c.Config.Out, "result.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist) || err != nil && r == nil:
		return partialOrFailed(c, Pending), nil, nil
	case r.RequestedConfig != nil:
		if diff := result.Differences(*r.RequestedConfig, c.Config, result.Significant); len(diff) > 0 {
			return Stale, r, &StaleError{Cell: c, Finished: r.Finished, Diff: diff}
		}
	}
	if r.Finished {
		return Finished, r, nil
	}
	return partialOrFailed(c, Partial), r, nil
}

// partialOrFailed returns Failed if the cell's last attempt failed, else s.
func partialOrFailed(c Cell, s Status) Status {
	if _, err := os.Stat(filepath.Join(c.Config.Out, FailedFile)); err == nil {
		return Failed
	}
	return s
}

// FailureOf returns the error recorded by the cell's last failed attempt
// ("" if none).
func FailureOf(c Cell) string {
	b, _ := os.ReadFile(filepath.Join(c.Config.Out, FailedFile))
	return strings.TrimSpace(string(b))
}

// recordFailure writes err into the cell's FailedFile, so that a status
// query (untied sweep -status) reports the cell as failed, never finished.
func recordFailure(c Cell, err error) {
	if os.MkdirAll(c.Config.Out, 0o755) == nil {
		atomicfile.WriteBytes(filepath.Join(c.Config.Out, FailedFile), []byte(err.Error()+"\n"))
	}
}

// StaleCells returns the StaleErrors of the stale cells among cells,
// joined, or nil when none is: what a table built from their directories
// would mix in.
func StaleCells(cells []Cell) error {
	var errs []error
	for _, c := range cells {
		if _, s, err := current(c); s == Stale {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// StaleError says a cell's directory holds a result of another
// configuration than the cell's. A sweep never overwrites or deletes a
// result, so the user moves or deletes the directory to rerun the cell.
type StaleError struct {
	Cell     Cell
	Finished bool     // whether the stale result is a finished one
	Diff     []string // the fields that differ, "name: recorded → experiment"
}

func (e *StaleError) Error() string {
	what := "a finished result"
	if !e.Finished {
		what = "an unfinished run"
	}
	return fmt.Sprintf("cell %s: %s holds %s of another configuration than the experiment's (recorded → experiment):\n  %s\n"+
		"move or delete that directory to rerun the cell", e.Cell.ID(), e.Cell.Config.Out, what, strings.Join(e.Diff, "\n  "))
}

// Plan sorts cells for a sweep: it returns the indices of those to run
// (not finished, not stale) and the stale cells' errors, and prints the
// sweep's first lines to w. A stale cell is an error (all of them, joined)
// before any cell runs, unless keepGoing, which skips them.
func Plan(cells []Cell, keepGoing bool, w io.Writer) (todo []int, stale []error, err error) {
	finished := 0
	for k, c := range cells {
		switch _, s, err := current(c); s {
		case Finished:
			finished++
		case Stale:
			stale = append(stale, err)
		default:
			todo = append(todo, k)
		}
	}
	if len(stale) > 0 && !keepGoing {
		return nil, nil, errors.Join(stale...) // the experiment and the results disagree
	}
	fmt.Fprintf(w, "sweep: %d cells, %d finished, %d stale, %d to run\n", len(cells), finished, len(stale), len(todo))
	for _, err := range stale {
		fmt.Fprintf(w, "sweep: skipping %v\n", err)
	}
	return todo, stale, nil
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
// progress and an ETA from the time the cells run so far took. A stale cell
// (see Stale) is an error, returned before any cell runs; with KeepGoing
// it is skipped and returned with the other failures at the end.
func Run(cells []Cell, opt Options) error {
	ctx := opt.Context
	if ctx == nil {
		ctx = context.Background()
	}
	w := opt.Progress
	if w == nil {
		w = io.Discard
	}
	todo, stale, err := Plan(cells, opt.KeepGoing, w)
	if err != nil {
		return err
	}
	start := time.Now()
	errs := stale
	for i, k := range todo {
		c := cells[k]
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
		c, _, _ = current(c) // a retry at a halved rate, if c diverged before
		res, err := run.RunContext(ctx, c.Config, prog)
		for errors.Is(err, run.ErrDiverged) && c.Config.LRHalved < c.Retries {
			c = attempt(cells[k], c.Config.LRHalved+1)
			fmt.Fprintf(w, "sweep: %s: %v; again at half the rate, lr %.3g, in %s\n", c.ID(), err, c.Config.LR, c.Config.Out)
			res, err = run.RunContext(ctx, c.Config, prog)
		}
		if errors.Is(err, run.ErrDiverged) {
			fmt.Fprintf(w, "sweep: %s: %v (recorded; the table marks it)\n", c.ID(), err)
			continue
		}
		if errors.Is(err, run.ErrFinished) {
			fmt.Fprintf(w, "sweep: %s: finished meanwhile by another process\n", c.ID())
			continue
		}
		if errors.Is(err, run.ErrBusy) {
			// Another sweep on the same runs directory has this cell:
			// two sweeps share the cells instead of running each twice.
			fmt.Fprintf(w, "sweep: %s: running in another process, left to it (%v)\n", c.ID(), err)
			continue
		}
		if err != nil {
			err = fmt.Errorf("cell %s: %w", c.ID(), err)
			if ctx.Err() == nil {
				recordFailure(c, err)
			}
			if !opt.KeepGoing || ctx.Err() != nil {
				return err
			}
			fmt.Fprintf(w, "sweep: %v\n", err)
			errs = append(errs, err)
			continue
		}
		os.Remove(filepath.Join(c.Config.Out, FailedFile)) // an earlier attempt's
		fmt.Fprintf(w, "sweep: %s: %s\n", c.ID(), Summary(res))
	}
	fmt.Fprintf(w, "sweep: done in %s\n", time.Since(start).Round(time.Second))
	return errors.Join(errs...)
}
