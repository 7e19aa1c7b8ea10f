package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/untied-ml/untied/repro/experiments"
	"github.com/untied-ml/untied/repro/run"
	"github.com/untied-ml/untied/repro/slurm"
	"github.com/untied-ml/untied/repro/sweep"
)

// slurmFlags are sweep's flags for running on a Slurm cluster.
type slurmFlags struct {
	on, dryRun, status bool
	opts               slurm.Options
	preamble           string // a file of #SBATCH lines
	tasks, limit, cpus int
}

func (f *slurmFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.on, "slurm", false, "submit the cells to Slurm as a job array (task i runs -cells i/n) and the tables as a job that runs when it ends")
	fs.BoolVar(&f.dryRun, "dry-run", false, "with -slurm: print the sbatch scripts, submit nothing")
	fs.BoolVar(&f.status, "status", false, "print which cells are finished, running, failed, partial or waiting (with -slurm, also the array's tasks in squeue)")
	fs.IntVar(&f.tasks, "slurm-tasks", 0, "with -slurm: array tasks to split the cells into (0: one per cell)")
	f.registerSite(fs)
}

// registerSite registers the flags of a site's settings, which untied tune
// -slurm shares.
func (f *slurmFlags) registerSite(fs *flag.FlagSet) {
	fs.StringVar(&f.opts.Partition, "partition", "", "with -slurm: the partition (sbatch --partition)")
	fs.StringVar(&f.opts.Account, "account", "", "with -slurm: the account to charge (sbatch --account)")
	fs.StringVar(&f.opts.Time, "time", "", "with -slurm: each task's time limit (sbatch --time, e.g. 4:00:00); USR1 comes 5 minutes before it")
	fs.StringVar(&f.opts.Mem, "mem", "", "with -slurm: each task's memory (sbatch --mem, e.g. 8G)")
	fs.StringVar(&f.preamble, "sbatch-preamble", "", "with -slurm: a file of the site's #SBATCH lines (and setup such as module load), placed after the generated ones")
	fs.IntVar(&f.limit, "throttle", 0, "with -slurm: at most this many tasks at once (the array's %; 0: no limit)")
	fs.IntVar(&f.cpus, "cpus-per-task", 0, "with -slurm: CPUs per task (0: the cells' threads, or 1)")
}

// jobName is the Slurm job name of an experiment's sweep under a profile.
func jobName(e *experiments.Experiment, profile string) string {
	return "untied-" + e.Name + "-" + profile
}

// sweepSlurm submits the cells that are not finished as a job array, and
// the tables as a job that waits for it (afterany), or prints both
// scripts on a dry run.
func sweepSlurm(e *experiments.Experiment, sf sweepFlags, f slurmFlags, all []sweep.Cell, stdout, stderr io.Writer) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "untied sweep -slurm: "+format+"\n", args...)
		return 1
	}
	if e.Kind == "tune" {
		return fail("experiment %s is a search: run untied tune -slurm, which submits its trials a generation at a time", e.Name)
	}
	if err := sweep.StaleCells(all); err != nil {
		return fail("%v", err)
	}
	n := f.tasks
	if n <= 0 || n > len(all) {
		n = len(all)
	}
	var todo []int // the tasks with a cell to run
	for i := 1; i <= n; i++ {
		for k := i - 1; k < len(all); k += n {
			if sweep.StatusOf(all[k]) != sweep.Finished {
				todo = append(todo, i)
				break
			}
		}
	}
	if len(todo) == 0 {
		fmt.Fprintf(stdout, "all %d cells are finished; rendering the tables here\n", len(all))
		return render(e, sf, all, stdout, stderr)
	}
	array, err := f.array(e, sf, n, todo, all)
	if err != nil {
		return fail("%v", err)
	}
	name, logs := array.Name, array.LogDir
	tables := slurm.Job{Name: name + "-table", LogDir: logs, WorkDir: array.WorkDir, Options: array.Options,
		Command: []string{array.Command[0], "table", "-experiment", sf.experiment, "-profile", sf.profile, "-runs", sf.runs, "-results", sf.results}}
	if f.dryRun {
		script, err := array.Script()
		if err != nil {
			return fail("%v", err)
		}
		fmt.Fprintf(stdout, "# The job array: %d of %d tasks (%d cells); submit with sbatch.\n%s\n", len(todo), n, len(all), script)
		fmt.Fprintf(stdout, "# The tables, submitted with sbatch --dependency=afterany:<the array's job id>.\n%s", tables.Script())
		return 0
	}
	id, err := array.Submit()
	if err != nil {
		return fail("%v", err)
	}
	tid, err := slurm.Submit(tables.Script(), id)
	if err != nil {
		return fail("the array is job %s, but the tables were not submitted: %v", id, err)
	}
	fmt.Fprintf(stdout, "submitted job array %s (%s: %d tasks for %d cells) and job %s (the tables, when it ends); logs in %s\n"+
		"watch it with: untied sweep -status -slurm %s\n", id, name, len(todo), len(all), tid, logs, strings.Join(sf.args(), " "))
	return 0
}

// array returns the job array of experiment e's sweep under sf: task i
// (of n; those in run) runs `untied sweep -cells i/n`, one cell at a time,
// logging into the profile's slurm/ directory of runs, with the site's
// settings of f, and CPUs per task from f or else the cells' threads.
func (f slurmFlags) array(e *experiments.Experiment, sf sweepFlags, n int, run []int, cells []sweep.Cell) (slurm.Array, error) {
	if f.preamble != "" {
		b, err := os.ReadFile(f.preamble)
		if err != nil {
			return slurm.Array{}, fmt.Errorf("-sbatch-preamble: %w", err)
		}
		f.opts.Preamble = string(b)
	}
	cpus := f.cpus
	if cpus <= 0 {
		cpus = 1
		for _, c := range cells {
			cpus = max(cpus, c.Config.Threads)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return slurm.Array{}, fmt.Errorf("cannot find this command for the jobs to run: %w", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		return slurm.Array{}, err
	}
	logs := filepath.Join(sf.runs, e.Name, sf.profile, "slurm")
	if !filepath.IsAbs(logs) {
		logs = filepath.Join(wd, logs)
	}
	command := append(append([]string{exe, "sweep"}, sf.args()...), "-jobs", "1", "-no-table", "-keep-going")
	return slurm.Array{Name: jobName(e, sf.profile), Tasks: n, Run: run, Limit: f.limit, CPUs: cpus, LogDir: logs, WorkDir: wd,
		Command: command, Options: f.opts}, nil
}

// sweepStatus prints the state of every cell from the run directories and,
// with -slurm, the states squeue gives the array's tasks. It returns 0, or
// 1 when a cell has failed.
func sweepStatus(e *experiments.Experiment, sf sweepFlags, f slurmFlags, all []sweep.Cell, stdout, stderr io.Writer) int {
	states := map[int]string{} // array task → squeue state
	n := f.tasks
	if n <= 0 || n > len(all) {
		n = len(all)
	}
	if f.on {
		// sacct's record of the ended tasks (where the cluster keeps
		// one), then squeue's of the queued and running ones.
		if acct, err := slurm.Accounting(jobName(e, sf.profile)); err == nil {
			maps.Copy(states, acct)
		}
		q, err := slurm.Queue(jobName(e, sf.profile))
		if err != nil {
			fmt.Fprintf(stderr, "untied sweep -status: %v (showing the run directories alone)\n", err)
		}
		maps.Copy(states, q)
	}
	count := map[string]int{}
	var lines []string
	for k, c := range all {
		state := sweep.StatusOf(c).String()
		if busy, _ := run.Busy(c.Config.Out); busy && state != "finished" {
			state = "running"
		}
		if q, ok := states[k%n+1]; ok && state != "finished" && state != "running" && q != "COMPLETED" {
			state = strings.ToLower(q) // pending, running, failed, timeout, ... in Slurm
			if state == "pending" {
				state = "queued"
			}
		}
		count[state]++
		switch state {
		case "finished":
		case "failed":
			lines = append(lines, fmt.Sprintf("  %-9s %s: %s", state, c.ID(), sweep.FailureOf(c)))
		default:
			lines = append(lines, fmt.Sprintf("  %-9s %s", state, c.ID()))
		}
	}
	failed := count["failed"]
	var parts []string
	for _, s := range []string{"finished", "running", "queued", "failed", "partial", "pending", "stale"} {
		if count[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[s], s))
			delete(count, s)
		}
	}
	var other []string
	for s, k := range count {
		other = append(other, fmt.Sprintf("%d %s", k, s))
	}
	sort.Strings(other)
	fmt.Fprintf(stdout, "%s (profile %s): %d cells: %s\n", e.Name, sf.profile, len(all), strings.Join(append(parts, other...), ", "))
	fmt.Fprintln(stdout, "(partial: interrupted, resumes from its checkpoint; pending: not started; queued: waiting in Slurm's queue)")
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	if failed > 0 {
		return 1
	}
	return 0
}
