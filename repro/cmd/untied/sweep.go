package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/untied-ml/untied/repro/experiments"
	"github.com/untied-ml/untied/repro/plot"
	"github.com/untied-ml/untied/repro/sweep"
	"github.com/untied-ml/untied/repro/table"
)

// sweepFlags are the flags sweep and table share.
type sweepFlags struct {
	experiment, profile, runs, results, cells, dataDir string
	rules, seeds                                       string // sweep's -rules and -seeds: comma lists, "" = all
}

func (s *sweepFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.experiment, "experiment", "table1", "experiment: "+strings.Join(experiments.Names(), ", ")+", or a path to a .json file")
	fs.StringVar(&s.profile, "profile", "quick", "profile: smoke, quick, full or imagenet")
	fs.StringVar(&s.runs, "runs", "repro/runs", "directory of the runs (one subdirectory per cell)")
	fs.StringVar(&s.results, "results", "repro/results", "directory of the tables and plots (each in <results>/<experiment>/<profile>/)")
}

// resultsDir is where experiment e's tables and figures for the profile
// go: <results>/<experiment>/<profile>/.
func (s *sweepFlags) resultsDir(e *experiments.Experiment) string {
	return filepath.Join(s.results, e.Name, s.profile)
}

func (s *sweepFlags) load() (*experiments.Experiment, []sweep.Cell, error) {
	e, err := experiments.Load(s.experiment)
	if err != nil {
		return nil, nil, err
	}
	cells, err := sweep.Cells(e, s.profile, s.runs)
	if err != nil {
		return nil, nil, err
	}
	if s.dataDir != "" {
		for i := range cells {
			cells[i].Config.DataDir = s.dataDir
		}
	}
	return e, cells, nil
}

// args returns the flags that make another `untied sweep` process (a job)
// sweep the same experiment into the same directories.
func (s *sweepFlags) args() []string {
	a := []string{"-experiment", s.experiment, "-profile", s.profile, "-runs", s.runs, "-results", s.results}
	if s.dataDir != "" {
		a = append(a, "-data-dir", s.dataDir)
	}
	if s.rules != "" {
		a = append(a, "-rules", s.rules)
	}
	if s.seeds != "" {
		a = append(a, "-seeds", s.seeds)
	}
	return a
}

// selected returns the cells of all that -rules and -seeds select.
func (s *sweepFlags) selected(all []sweep.Cell) ([]sweep.Cell, error) {
	var rules []string
	var seeds []uint64
	if s.rules != "" {
		for _, f := range strings.Split(s.rules, ",") {
			rules = append(rules, strings.TrimSpace(f))
		}
	}
	if s.seeds != "" {
		for _, f := range strings.Split(s.seeds, ",") {
			v, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("-seeds %q: want a comma-separated list of seeds, e.g. 1,2", s.seeds)
			}
			seeds = append(seeds, v)
		}
	}
	return sweep.Select(all, rules, seeds)
}

// parseSlice parses -cells i/n ("" = all).
func parseSlice(s string) (i, n int, err error) {
	if s == "" {
		return 1, 1, nil
	}
	if _, err := fmt.Sscanf(s, "%d/%d", &i, &n); err != nil {
		return 0, 0, fmt.Errorf("-cells %q: want i/n, e.g. 2/3", s)
	}
	return i, n, nil
}

func sweepCmd(args []string, stdout, stderr io.Writer) int {
	var sf sweepFlags
	fs := flag.NewFlagSet("untied sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf.register(fs)
	fs.StringVar(&sf.cells, "cells", "", "run only slice i of n of the cells (i/n), to split a sweep across machines")
	fs.StringVar(&sf.dataDir, "data-dir", "", "directory of the data set (ImageNet, CIFAR-10, or a non-default Fashion-MNIST)")
	fs.StringVar(&sf.rules, "rules", "", "run only these rules' cells (comma-separated, e.g. bp,brsf); the table still shows every result there is")
	fs.StringVar(&sf.seeds, "seeds", "", "run only these seeds' cells (comma-separated, e.g. 1)")
	keepGoing := fs.Bool("keep-going", false, "run the remaining cells after one fails")
	quiet := fs.Bool("quiet", false, "no progress")
	noTable := fs.Bool("no-table", false, "do not render the tables after the sweep")
	jobs := fs.Int("jobs", 1, "cells to run at once, each job a process of its own with GOMAXPROCS/jobs threads (small models gain little from a second thread)")
	var sl slurmFlags
	sl.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	i, n, err := parseSlice(sf.cells)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err == nil && *jobs < 1 {
		err = fmt.Errorf("-jobs %d: want at least 1", *jobs)
	}
	if err == nil && sl.on && sf.cells != "" {
		err = errors.New("-slurm with -cells: the array splits the cells itself (see -slurm-tasks)")
	}
	if err == nil && sl.on && (sf.rules != "" || sf.seeds != "") {
		err = errors.New("-slurm with -rules or -seeds: not supported; submit the whole sweep (finished cells are skipped)")
	}
	if err == nil && sl.dryRun && !sl.on {
		err = errors.New("-dry-run: only with -slurm")
	}
	if err != nil {
		fmt.Fprintf(stderr, "untied sweep: %v\n", err)
		fs.Usage()
		return 2
	}
	e, all, err := sf.load()
	var run, cells []sweep.Cell // the cells selected, and this process's slice of them
	if err == nil {
		run, err = sf.selected(all)
	}
	switch {
	case err == nil && sl.status:
		return sweepStatus(e, sf, sl, run, stdout, stderr)
	case err == nil && sl.on:
		return sweepSlurm(e, sf, sl, all, stdout, stderr)
	}
	if err == nil {
		cells, err = sweep.Slice(run, i, n)
	}
	if err != nil {
		fmt.Fprintf(stderr, "untied sweep: %v\n", err)
		return 2
	}
	progress := stderr
	if *quiet {
		progress = nil
	}
	ctx, stop := interruptible()
	defer stop()
	if *jobs > 1 {
		err = sweepJobs(ctx, *jobs, run, cells, i, n, sf.args(), *keepGoing, cmp.Or(progress, io.Discard))
	} else {
		err = sweep.Run(cells, sweep.Options{Context: ctx, Progress: progress, KeepGoing: *keepGoing})
	}
	if err != nil {
		fmt.Fprintf(stderr, "untied sweep: %v\n", err)
		return 1
	}
	if *noTable || n > 1 {
		return 0
	}
	return render(e, sf, all, stdout, stderr)
}

func tableCmd(args []string, stdout, stderr io.Writer) int {
	var sf sweepFlags
	fs := flag.NewFlagSet("untied table", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	e, cells, err := sf.load()
	if err != nil {
		fmt.Fprintf(stderr, "untied table: %v\n", err)
		return 2
	}
	// A table of results that no longer match the experiment would print
	// them under its title: refuse, as the sweep does.
	if err := sweep.StaleCells(cells); err != nil {
		fmt.Fprintf(stderr, "untied table: %v\n", err)
		return 1
	}
	return render(e, sf, cells, stdout, stderr)
}

// render builds the experiment's tables and figures from the result files
// of its cells.
func render(e *experiments.Experiment, sf sweepFlags, cells []sweep.Cell, stdout, stderr io.Writer) int {
	if e.Kind == "tune" {
		fmt.Fprintf(stderr, "untied table: experiment %s is a search; untied tune writes its outputs\n", e.Name)
		return 2
	}
	var paths, missing []string
	for _, c := range cells {
		path := sweep.ResultPath(c)
		paths = append(paths, path)
		if _, err := os.Stat(path); err != nil {
			missing = append(missing, c.ID())
		}
	}
	if len(missing) > 0 {
		remake := "make repro-" + e.Name + " PROFILE=" + sf.profile
		if len(missing) == len(cells) {
			fmt.Fprintf(stderr, "untied table: no results of %s (profile %s) under %s: run `%s` (or untied sweep) to make them\n", e.Name, sf.profile, sf.runs, remake)
			return 1
		}
		fmt.Fprintf(stderr, "untied table: %d of %d cells have no result yet (first: %s); `%s` runs them. The table leaves them out.\n", len(missing), len(cells), missing[0], remake)
	}
	rows, skipped, err := table.CollectFiles(paths, e.Rules)
	if err != nil {
		fmt.Fprintf(stderr, "untied table: %v\n", err)
		return 1
	}
	// Each profile's tables and figures have a directory of their own, so a
	// smoke or partial run never overwrites the committed quick results.
	dir := sf.resultsDir(e)
	from, err := sweep.TunedFrom(e, sf.profile)
	if err != nil {
		fmt.Fprintf(stderr, "untied table: %v\n", err)
		return 1
	}
	h := table.Header{Experiment: e, Profile: sf.profile, Skipped: skipped, Missing: len(missing), Cells: len(cells), TunedFrom: from}
	write, figures := table.Accuracy, []func(string, string, []table.Row) error{plot.Bars, plot.StepCurves, plot.Curves}
	switch e.Kind {
	case "noise":
		write, figures = table.Noise, figures[:0:0]
		figures = append(figures, plot.NoiseCurves)
	case "depth":
		write = table.Depth
		figures = append(figures, plot.Depth)
	case "error":
		write, figures = table.Error, nil
	}
	if err := write(dir, h, rows); err != nil {
		fmt.Fprintf(stderr, "untied table: %v\n", err)
		return 1
	}
	for _, f := range figures {
		if err := f(dir, e.Name, rows); err != nil {
			fmt.Fprintf(stderr, "untied table: %v\n", err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "wrote %s.md and %s.csv from %d rows of %d cells\n", filepath.Join(dir, e.Name), filepath.Join(dir, e.Name), len(rows), len(cells))
	return 0
}
