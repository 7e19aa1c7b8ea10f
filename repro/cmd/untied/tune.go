package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/untied-ml/untied/repro/experiments"
	"github.com/untied-ml/untied/repro/plot"
	"github.com/untied-ml/untied/repro/result"
	"github.com/untied-ml/untied/repro/run"
	"github.com/untied-ml/untied/repro/slurm"
	"github.com/untied-ml/untied/repro/sweep"
	"github.com/untied-ml/untied/repro/tune"
)

// tuneCmd runs the metaparameter search of an experiment of kind "tune":
// for each model and rule, generations of trials proposed by TPE from the
// trials so far, each trial a cell of the sweep machinery scored on the
// validation split; then the best setting, every trial in a CSV, and a
// plot of the objective against the trial.
func tuneCmd(args []string, stdout, stderr io.Writer) int {
	var sf sweepFlags
	fs := flag.NewFlagSet("untied tune", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf.register(fs)
	fs.Set("experiment", "tune")
	fs.StringVar(&sf.dataDir, "data-dir", "", "directory of the data set (a non-default Fashion-MNIST, CIFAR-10)")
	jobs := fs.Int("jobs", 1, "trials to run at once, each a process with GOMAXPROCS/jobs threads (the search itself does not depend on it)")
	only := fs.String("rules", "", "comma-separated rules to search (default: the experiment's)")
	quiet := fs.Bool("quiet", false, "no progress")
	var sl slurmFlags
	fs.BoolVar(&sl.on, "slurm", false, "run each generation's trials on Slurm, as a job array, and wait for it (the search itself runs here)")
	sl.registerSite(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	e, err := experiments.Load(sf.experiment)
	if err == nil && e.Kind != "tune" {
		err = fmt.Errorf("experiment %s is of kind %q; untied tune runs experiments of kind \"tune\" (untied sweep runs the others)", e.Name, e.Kind)
	}
	var b sweep.SearchBudget
	if err == nil {
		b, err = sweep.Budget(e, sf.profile)
	}
	if err == nil && *only != "" {
		want := strings.Split(*only, ",")
		for _, r := range want {
			if !slices.Contains(b.Rules, r) {
				err = fmt.Errorf("-rules: profile %s of experiment %s searches %s, not %q", sf.profile, e.Name, strings.Join(b.Rules, ", "), r)
			}
		}
		b.Rules = want
	}
	if err == nil && (fs.NArg() > 0 || *jobs < 1) {
		err = fmt.Errorf("want -jobs ≥ 1 and no arguments")
	}
	if err != nil {
		fmt.Fprintf(stderr, "untied tune: %v\n", err)
		return 2
	}
	w := io.Writer(stderr)
	if *quiet {
		w = io.Discard
	}
	ctx, stop := interruptible()
	defer stop()
	s := &search{e: e, sf: sf, budget: b.Trials, generation: b.Generation, startup: b.Startup, stratified: b.Stratified, jobs: *jobs, slurm: sl, w: w}
	s.searches = len(b.Models) * len(b.Rules) * len(b.Settings)
	for _, m := range b.Models {
		for _, r := range b.Rules {
			for _, set := range b.Settings {
				k := sweep.SearchKey{Model: m, Rule: r, Setting: set}
				s.index++
				if err := s.run(ctx, k); err != nil {
					fmt.Fprintf(stderr, "untied tune: %s: %v\n", k, err)
					return 1
				}
				best, err := s.report(k)
				if err != nil {
					fmt.Fprintf(stderr, "untied tune: %v\n", err)
					return 1
				}
				fmt.Fprintln(stdout, best)
			}
		}
	}
	return 0
}

// search is one `untied tune` invocation.
type search struct {
	e                  *experiments.Experiment
	sf                 sweepFlags
	budget, generation int
	startup            int
	stratified         bool
	jobs               int
	slurm              slurmFlags // slurm.on: trials run as array tasks
	w                  io.Writer
	// Progress over every search of the invocation: the current one's
	// number (from 1) of searches, and the generations this process ran
	// and their wall time, from which it estimates the time left.
	index, searches int
	gens            int
	genTime         time.Duration
}

// left estimates the time the rest of the invocation takes, this
// generation (whose first trial is start) included, from the mean
// generation this process ran; "?" before it ran one.
func (s *search) left(start int) string {
	if s.gens == 0 {
		return "?"
	}
	per := (s.budget + s.generation - 1) / s.generation
	n := per - start/s.generation + (s.searches-s.index)*per
	left := s.genTime / time.Duration(s.gens) * time.Duration(n)
	return fmt.Sprintf("about %.0f min", left.Minutes())
}

// trial is a trial with its cells' results.
type trial struct {
	file    sweep.TrialFile
	cells   []sweep.Cell
	results []*result.Record // nil where a cell is not finished
}

// loss is the trial's objective, 100 − the mean validation top-1 over its
// seeds; NaN (a failed trial) if any seed diverged or has no validation
// score.
func (t trial) loss() float64 {
	var sum float64
	for _, r := range t.results {
		if r == nil || r.Diverged != "" || r.Config.Val == 0 {
			return math.NaN()
		}
		sum += r.ValTop1
	}
	return 100 - sum/float64(len(t.results))
}

func (t trial) finished() bool { return !slices.Contains(t.results, nil) }

// trials reads the trials of search k and their cells' results. all is
// the experiment's whole list of cells, which -jobs workers index.
func (s *search) trials(k sweep.SearchKey) (ts []trial, all []sweep.Cell, err error) {
	_, all, err = s.sf.load()
	if err != nil {
		return nil, nil, err
	}
	dir := k.Dir(s.sf.runs, s.e, s.sf.profile)
	files, err := sweep.ReadTrials(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range files {
		path := filepath.Join(dir, sweep.TrialName(f.Index), "trial.json")
		if err := sweep.CheckTrial(path, f, s.e.Search[k.Rule]); err != nil {
			return nil, nil, err
		}
		t := trial{file: f}
		for _, c := range all {
			if c.Model == k.Model && c.Rule == k.Rule && c.Setting == k.TrialSetting(f.Index) {
				t.cells = append(t.cells, c)
				var r *result.Record
				if sweep.StatusOf(c) == sweep.Finished {
					if r, err = result.Read(filepath.Join(c.Config.Out, "result.json")); err != nil {
						return nil, nil, err
					}
				}
				t.results = append(t.results, r)
			}
		}
		ts = append(ts, t)
	}
	return ts, all, nil
}

// run proposes and runs generations until the budget's trials are
// finished. Generation g is trials [g·n, (g+1)·n), proposed together from
// the trials before it, all finished; so the points depend on the
// experiment and the results, never on when the search was interrupted
// (a generation half written when it stopped is completed with the same
// points) or how many jobs ran it.
func (s *search) run(ctx context.Context, k sweep.SearchKey) error {
	search := s.e.Search[k.Rule]
	space, err := sweep.Space(search)
	if err != nil {
		return err
	}
	dir := k.Dir(s.sf.runs, s.e, s.sf.profile)
	for {
		ts, all, err := s.trials(k)
		if err != nil {
			return err
		}
		todo, busy, err := unfinished(ts, all)
		if err != nil {
			return err
		}
		switch {
		case len(todo) > 0:
			t0 := time.Now()
			if err := s.runCells(ctx, all, todo); err != nil {
				return err
			}
			s.gens, s.genTime = s.gens+1, s.genTime+time.Since(t0)
			continue
		case busy > 0:
			// Another tune (or sweep) process runs them: wait for it
			// rather than propose from a history it is still writing.
			fmt.Fprintf(s.w, "tune: %s: waiting for %d runs in other processes\n", k, busy)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(busyPoll):
			}
			continue
		}
		if len(ts) >= s.budget {
			return nil
		}
		start := len(ts) - len(ts)%s.generation // this generation's first trial
		var history []tune.Trial
		for _, t := range ts[:start] {
			history = append(history, tune.Trial{Point: t.file.Point, Loss: t.loss()})
		}
		n := min(s.generation, s.budget-start)
		points, err := tune.Suggest(space, history, n, tune.Options{Seed: search.Seed, Startup: s.startup, Stratified: s.stratified})
		if err != nil {
			return err
		}
		for j, t := range ts[start:] {
			if !slices.Equal(t.file.Point, points[j]) {
				return fmt.Errorf("%s: point %v, but the search proposes %v from the trials before it (the experiment's search changed since: move %s away to search again)",
					filepath.Join(dir, sweep.TrialName(t.file.Index), "trial.json"), t.file.Point, points[j], dir)
			}
		}
		fmt.Fprintf(s.w, "tune: %s: trials %d–%d of %d (search %d of %d, %s left)\n", k, len(ts)+1, start+n, s.budget, s.index, s.searches, s.left(start))
		for j := len(ts) - start; j < n; j++ {
			overlay, err := sweep.Overlay(search, points[j])
			if err != nil {
				return err
			}
			if err := sweep.WriteTrial(dir, sweep.TrialFile{Index: start + j, Params: sweep.ParamNames(search), Point: points[j], Config: overlay}); err != nil {
				return err
			}
		}
	}
}

// busyPoll is how often a search waiting for another process's runs looks
// again.
var busyPoll = 5 * time.Second

// unfinished returns the cells of trials ts not finished, as indices into
// all, apart from those another process is running now (busy of them).
func unfinished(ts []trial, all []sweep.Cell) (todo []int, busy int, err error) {
	for _, t := range ts {
		for k, c := range t.cells {
			if t.results[k] != nil {
				continue
			}
			held, err := run.Busy(c.Config.Out)
			if err != nil {
				return nil, 0, err
			}
			if held {
				busy++
				continue
			}
			todo = append(todo, slices.IndexFunc(all, func(a sweep.Cell) bool { return a.Config.Out == c.Config.Out }))
		}
	}
	return todo, busy, nil
}

// runCells runs cells todo (indices into all) as a sweep does.
func (s *search) runCells(ctx context.Context, all []sweep.Cell, todo []int) error {
	if s.slurm.on {
		return s.runCellsSlurm(ctx, all, todo)
	}
	if s.jobs > 1 {
		return runJobs(ctx, s.jobs, threadsPerJob(s.jobs), all, todo, s.sf.args(), false, s.w)
	}
	cells := make([]sweep.Cell, len(todo))
	for i, k := range todo {
		cells[i] = all[k]
	}
	var progress io.Writer
	if s.w != io.Discard {
		progress = s.w
	}
	return sweep.Run(cells, sweep.Options{Context: ctx, Progress: progress})
}

// runCellsSlurm runs cells todo (indices into all) as the tasks of a job
// array, task g+1 of len(all) running `untied sweep -cells g+1/len(all)`,
// that is cell g, and waits for the array to end. The trials' results are
// the same as a local run's; a cell the array did not finish is an error
// (with its failed.txt's reason), never proposed from. Interrupted, the
// search leaves the array running: run it again to go on from its results.
func (s *search) runCellsSlurm(ctx context.Context, all []sweep.Cell, todo []int) error {
	tasks := make([]int, len(todo))
	for i, g := range todo {
		tasks[i] = g + 1
	}
	array, err := s.slurm.array(s.e, s.sf, len(all), tasks, all)
	if err != nil {
		return err
	}
	id, err := array.Submit()
	if err != nil {
		return err
	}
	fmt.Fprintf(s.w, "tune: %d runs submitted as job array %s; waiting for it (logs in %s)\n", len(todo), id, array.LogDir)
	if err := slurm.Wait(ctx, id, 2*time.Second); err != nil {
		return fmt.Errorf("job array %s: %w (it keeps running; run the search again to go on from its results)", id, err)
	}
	var failed []string
	for _, g := range todo {
		if c := all[g]; sweep.StatusOf(c) != sweep.Finished {
			failed = append(failed, fmt.Sprintf("%s (%s)", c.ID(), cmp.Or(sweep.FailureOf(c), "no result; see the task's log")))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("job array %s ended with %d runs unfinished: %s", id, len(failed), strings.Join(failed, "; "))
	}
	return nil
}

// report writes the search's outputs under <results>/<experiment>/<profile>/:
// <search>-best.json (sweep.Tuned, which other experiments read; the
// search's name is sweep.SearchKey.Name), -trials.csv and the -trials
// plot; and returns a line naming the best trial.
func (s *search) report(key sweep.SearchKey) (string, error) {
	ts, _, err := s.trials(key)
	if err != nil {
		return "", err
	}
	dir := s.sf.resultsDir(s.e)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	base, search := key.Name(), s.e.Search[key.Rule]
	var history []tune.Trial
	var points []plot.TrialPoint
	var c strings.Builder
	cw := csv.NewWriter(&c)
	head := append([]string{"trial"}, sweep.ParamNames(search)...)
	cw.Write(append(head, "val_top1", "best_val_top1", "config"))
	best := math.Inf(1)
	for _, t := range ts {
		loss := t.loss()
		history = append(history, tune.Trial{Point: t.file.Point, Loss: loss})
		points = append(points, plot.TrialPoint{Index: t.file.Index, Objective: 100 - loss, Failed: math.IsNaN(loss)})
		if loss < best {
			best = loss
		}
		row := []string{strconv.Itoa(t.file.Index)}
		for i, p := range search.Params {
			v := t.file.Point[i]
			if p.Kind == string(tune.Choice) {
				row = append(row, plainJSON(p.Values[int(v)]))
			} else {
				row = append(row, strconv.FormatFloat(v, 'g', 4, 64))
			}
		}
		row = append(row, f2OrFailed(100-loss), f2OrFailed(100-best), plainJSON(t.file.Config))
		cw.Write(row)
	}
	cw.Flush()
	if err := result.WriteFile(filepath.Join(dir, base+"-trials.csv"), []byte(c.String())); err != nil {
		return "", err
	}
	title := fmt.Sprintf("%s: TPE search of %s (%s)", s.e.Name, key, s.sf.profile)
	if err := plot.Trials(dir, base+"-trials", title, points); err != nil {
		return "", err
	}
	k := tune.Best(history)
	if k < 0 {
		return "", fmt.Errorf("%s: no trial finished with a validation score", key)
	}
	t := ts[k]
	tuned := sweep.Tuned{Experiment: s.e.Name, Profile: s.sf.profile, Rule: key.Rule, Model: key.Model, Setting: key.Setting, Trial: k,
		Trials: len(ts), ValTop1: 100 - history[k].Loss, Config: t.file.Config}
	path := filepath.Join(dir, base+"-best.json")
	if err := result.WriteJSON(path, tuned); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s: best of %d trials is trial %d, validation top-1 %.2f%%: %s (wrote %s)",
		key, len(ts), k, tuned.ValTop1, plainJSON(t.file.Config), path), nil
}

// plainJSON is a JSON value on one line, a string without its quotes.
func plainJSON(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return string(v)
	}
	return b.String()
}

func f2OrFailed(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "failed"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
