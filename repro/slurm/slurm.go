// Package slurm runs a sweep on a Slurm cluster: it writes the sbatch
// script of a job array whose task i runs the cells `untied sweep -cells
// i/n` gives (so local and cluster runs share run directories and mix
// freely), the script of a job that renders the tables once the array
// ends, and submits both with sbatch. It also reads the array's tasks back
// from squeue.
//
// Preemption and time limits: every array task asks Slurm for USR1 some
// minutes before its time limit (--signal=B:USR1@...). On it the script
// sends the sweep SIGTERM, which makes the running cell write a checkpoint
// and stop, then requeues its own task (scontrol requeue); the task's next
// start resumes the cell from the checkpoint. A cluster's own preemption
// (SIGTERM, with --requeue) takes the same path through the sweep.
package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Options are the site's settings for every job: they become #SBATCH lines.
type Options struct {
	Partition string // --partition; "" for the cluster's default
	Account   string // --account
	Time      string // --time, the limit of one task (e.g. "4:00:00")
	Mem       string // --mem (e.g. "8G")
	// Preamble is placed after the generated #SBATCH lines: a site's own
	// #SBATCH lines (which override the generated ones) and any setup
	// (module load ...).
	Preamble string
	// SignalLead is how many seconds before the time limit a task gets
	// USR1 to checkpoint and requeue (0: 300).
	SignalLead int
}

// Array is a job array that runs a sweep's cells.
type Array struct {
	Name    string // the job name (squeue -n)
	Tasks   int    // n: task i runs `-cells i/n`
	Run     []int  // the tasks to submit (1-based), in increasing order
	Limit   int    // at most this many tasks at once (the % throttle; 0: none)
	CPUs    int    // --cpus-per-task, and GOMAXPROCS in the task
	LogDir  string // where each task's log goes (NAME-JOB_TASK.out)
	WorkDir string // the directory the command runs in
	// Command is one task's argv (the untied executable first);
	// "-cells", "$SLURM_ARRAY_TASK_ID/n" is appended.
	Command []string
	Options
}

// Script returns the sbatch script of the array.
func (a Array) Script() (string, error) {
	if a.Tasks < 1 || len(a.Run) == 0 {
		return "", fmt.Errorf("slurm: array %s has no task to run", a.Name)
	}
	if a.Run[0] < 1 || a.Run[len(a.Run)-1] > a.Tasks {
		return "", fmt.Errorf("slurm: array %s: tasks %v outside 1..%d", a.Name, a.Run, a.Tasks)
	}
	spec := Ranges(a.Run)
	if a.Limit > 0 {
		spec += "%" + strconv.Itoa(a.Limit)
	}
	lead := a.SignalLead
	if lead <= 0 {
		lead = 300
	}
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	directives(&b, a.Name, a.LogDir+"/%x-%A_%a.out", max(a.CPUs, 1), a.Options,
		"--array="+spec, "--open-mode=append", "--requeue", fmt.Sprintf("--signal=B:USR1@%d", lead))
	fmt.Fprintf(&b, `# Task i of %d runs the cells `+"`untied sweep -cells i/%d`"+` gives, in the run
# directories a local sweep uses. On USR1 (the time limit is near, or
# scancel --signal=USR1 --batch) the sweep checkpoints and the task requeues
# itself; its next start resumes from the checkpoint.
set -u
cd %s
export GOMAXPROCS=${SLURM_CPUS_PER_TASK:-1}
%s -cells "$SLURM_ARRAY_TASK_ID/%d" &
pid=$!
requeue() {
  echo "untied: USR1: checkpointing and requeueing task ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
  kill -TERM "$pid"
  wait "$pid"
  scontrol requeue "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
  exit 0
}
trap requeue USR1
wait "$pid"
`, a.Tasks, a.Tasks, Quote(a.WorkDir), QuoteAll(a.Command), a.Tasks)
	return b.String(), nil
}

// Submit makes the log directory and submits the array; it returns the
// job's id.
func (a Array) Submit() (string, error) {
	script, err := a.Script()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(a.LogDir, 0o755); err != nil {
		return "", fmt.Errorf("slurm: %w", err)
	}
	return Submit(script, "")
}

// Job is a single job, such as the rendering of the tables.
type Job struct {
	Name    string
	LogDir  string
	WorkDir string
	Command []string
	Options
}

// Script returns the sbatch script of the job.
func (j Job) Script() string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	directives(&b, j.Name, j.LogDir+"/%x-%j.out", 1, j.Options)
	fmt.Fprintf(&b, "set -u\ncd %s\nexec %s\n", Quote(j.WorkDir), QuoteAll(j.Command))
	return b.String()
}

// directives writes the #SBATCH lines, the site's preamble last.
func directives(b *strings.Builder, name, output string, cpus int, o Options, extra ...string) {
	lines := []string{"--job-name=" + name, "--output=" + output, "--cpus-per-task=" + strconv.Itoa(cpus)}
	lines = append(lines, extra...)
	for _, kv := range [][2]string{{"partition", o.Partition}, {"account", o.Account}, {"time", o.Time}, {"mem", o.Mem}} {
		if kv[1] != "" {
			lines = append(lines, "--"+kv[0]+"="+kv[1])
		}
	}
	for _, l := range lines {
		fmt.Fprintf(b, "#SBATCH %s\n", l)
	}
	if p := strings.TrimSpace(o.Preamble); p != "" {
		b.WriteString("# The site's preamble:\n" + p + "\n")
	}
}

// Submit submits script with sbatch (after the job afterAny ends, in any
// state, unless it is "") and returns the job's id.
func Submit(script, afterAny string) (string, error) {
	args := []string{"--parsable"}
	if afterAny != "" {
		args = append(args, "--dependency=afterany:"+afterAny)
	}
	cmd := exec.Command("sbatch", args...)
	cmd.Stdin = strings.NewReader(script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("slurm: sbatch: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";") // "id;cluster" on federations
	if _, err := strconv.Atoi(id); err != nil {
		return "", fmt.Errorf("slurm: sbatch printed %q, want a job id", out)
	}
	return id, nil
}

// Queue returns the state squeue gives each task of the jobs called name
// that are still queued or running, keyed by array task index (1-based;
// the tasks of the array that have ended are not listed).
func Queue(name string) (map[int]string, error) {
	out, err := exec.Command("squeue", "-h", "-r", "-n", name, "-o", "%K %T").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("slurm: squeue: %w: %s", err, bytes.TrimSpace(ee.Stderr))
		}
		return nil, fmt.Errorf("slurm: squeue: %w", err)
	}
	states := map[int]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		task, state, ok := strings.Cut(strings.TrimSpace(line), " ")
		if i, err := strconv.Atoi(task); ok && err == nil {
			states[i] = state
		}
	}
	return states, nil
}

// Accounting returns the last state sacct records for each array task of
// the jobs called name (1-based task index → COMPLETED, FAILED, TIMEOUT,
// ...), ended ones included. It fails where the cluster keeps no
// accounting (AccountingStorageType=accounting_storage/none).
func Accounting(name string) (map[int]string, error) {
	out, err := exec.Command("sacct", "-n", "-X", "-P", "--name", name, "-o", "JobID,State").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("slurm: sacct: %w: %s", err, bytes.TrimSpace(out))
	}
	return parseAccounting(string(out)), nil
}

// parseAccounting reads sacct's "JOB_TASK|STATE" lines; a task listed
// twice (requeued) keeps its last state, and "CANCELLED by 0" is CANCELLED.
func parseAccounting(out string) map[int]string {
	states := map[int]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		id, state, ok := strings.Cut(strings.TrimSpace(line), "|")
		_, task, isTask := strings.Cut(id, "_")
		if i, err := strconv.Atoi(task); ok && isTask && err == nil {
			states[i], _, _ = strings.Cut(state, " ")
		}
	}
	return states
}

// Wait polls squeue every poll until job id has left the queue (it ended,
// in any state), or ctx ends.
func Wait(ctx context.Context, id string, poll time.Duration) error {
	for {
		out, err := exec.CommandContext(ctx, "squeue", "-h", "-j", id, "-o", "%i").CombinedOutput()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && bytes.Contains(out, []byte("Invalid job id")):
			return nil // ended and already purged from the controller
		case err != nil:
			return fmt.Errorf("slurm: squeue -j %s: %w: %s", id, err, bytes.TrimSpace(out))
		case len(bytes.TrimSpace(out)) == 0:
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

// Available reports whether the Slurm commands are here and a controller
// answers.
func Available() bool {
	return exec.Command("sinfo", "-h").Run() == nil
}

// Ranges writes sorted task indices as an --array list: "1-3,7,9-10".
func Ranges(tasks []int) string {
	t := append([]int(nil), tasks...)
	sort.Ints(t)
	var parts []string
	for i := 0; i < len(t); {
		j := i
		for j+1 < len(t) && t[j+1] == t[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(t[i]))
		} else {
			parts = append(parts, strconv.Itoa(t[i])+"-"+strconv.Itoa(t[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// Quote quotes s for the shell (single quotes).
func Quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// QuoteAll quotes every argument and joins them with spaces.
func QuoteAll(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}
