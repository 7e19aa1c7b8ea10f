package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/untied-ml/untied/repro/result"
	"github.com/untied-ml/untied/repro/slurm"
)

// needSlurm skips a test unless a Slurm controller answers.
func needSlurm(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("submits Slurm jobs; skipped in -short mode")
	}
	if !slurm.Available() {
		t.Skip("no Slurm controller answers (sinfo -h failed): run ci/slurm-up.sh as root for a one-node cluster")
	}
}

// waitQueue polls squeue until no job called one of names is left, or
// fails after limit.
func waitQueue(t *testing.T, limit time.Duration, names ...string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		out, err := exec.Command("squeue", "-h", "-n", strings.Join(names, ","), "-o", "%i %T").Output()
		if err != nil {
			t.Fatalf("squeue: %v", err)
		}
		if len(bytes.TrimSpace(out)) == 0 {
			return
		}
		time.Sleep(time.Second)
	}
	out, _ := exec.Command("squeue").CombinedOutput()
	t.Fatalf("jobs %v still queued after %s:\n%s", names, limit, out)
}

// runUntied runs the command (this test binary acting as untied) and fails on a
// non-zero exit.
func runUntied(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := mainErr(args, &out, &errb); code != 0 {
		t.Fatalf("untied %v exited %d:\n%s%s", args, code, out.String(), errb.String())
	}
	return out.String()
}

// withoutFooter drops a table's last line, which says how the runs ran
// (GOMAXPROCS, minutes), not what they gave.
func withoutFooter(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[:len(lines)-1], "\n")
}

// TestSlurmSweepMatchesLocal submits the smoke table as a job array with
// its tables as a dependent job, and checks the table equals a local
// sweep's bit for bit.
func TestSlurmSweepMatchesLocal(t *testing.T) {
	needSlurm(t)
	t.Setenv(asCommand, "1") // the jobs run this test binary as untied
	dir := t.TempDir()
	cluster := []string{"-experiment", "table1", "-profile", "smoke", "-runs", filepath.Join(dir, "runs"), "-results", filepath.Join(dir, "results")}
	local := []string{"-experiment", "table1", "-profile", "smoke", "-runs", filepath.Join(dir, "lruns"), "-results", filepath.Join(dir, "lresults")}
	out := runUntied(t, append([]string{"sweep", "-slurm", "-throttle", "2"}, cluster...)...)
	if !strings.Contains(out, "submitted job array") {
		t.Fatalf("sweep -slurm said %q", out)
	}
	waitQueue(t, 5*time.Minute, "untied-table1-smoke", "untied-table1-smoke-table")
	status := runUntied(t, append([]string{"sweep", "-status", "-slurm"}, cluster...)...)
	if !strings.Contains(status, "6 cells: 6 finished") {
		t.Errorf("status after the array: %s", status)
	}
	runUntied(t, append([]string{"sweep", "-quiet"}, local...)...)
	for _, f := range []string{"table1.csv", "table1.md"} {
		got := withoutFooter(t, filepath.Join(dir, "results", "table1", "smoke", f))
		want := withoutFooter(t, filepath.Join(dir, "lresults", "table1", "smoke", f))
		if got != want {
			t.Errorf("%s from Slurm differs from the local sweep's:\n%s\n---\n%s", f, got, want)
		}
	}
}

// preemptExperiment is one cell long enough to interrupt, checkpointing
// every 20 steps.
const preemptExperiment = `{
  "name": "slurm-preempt", "title": "A cell to preempt", "kind": "accuracy",
  "rules": ["bp"], "models": ["lenet"], "seeds": [1], "claims": {"bp": "resumes"},
  "profiles": {"smoke": {"data": "synthetic", "epochs": 60, "lr": 0.01, "batch": 32, "checkpoint_every": 20, "metrics_every": 0}}
}`

// TestSlurmPreemption sends a running array task the warning signal
// (USR1, as before its time limit) and checks that it checkpoints,
// requeues, resumes and ends with the result of an uninterrupted run.
func TestSlurmPreemption(t *testing.T) {
	needSlurm(t)
	t.Setenv(asCommand, "1")
	dir := t.TempDir()
	exp := filepath.Join(dir, "preempt.json")
	if err := os.WriteFile(exp, []byte(preemptExperiment), 0o644); err != nil {
		t.Fatal(err)
	}
	flags := []string{"-experiment", exp, "-profile", "smoke", "-runs", filepath.Join(dir, "runs"), "-results", filepath.Join(dir, "results")}
	runUntied(t, append([]string{"sweep", "-slurm"}, flags...)...)
	cellDir := filepath.Join(dir, "runs", "slurm-preempt", "smoke", "lenet", "bp", "default", "seed1")
	deadline := time.Now().Add(2 * time.Minute)
	for !exists(filepath.Join(cellDir, "checkpoint.npz")) {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint after 2 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
	task := firstLine(squeue(t, "-h", "-n", "untied-slurm-preempt-smoke", "-o", "%i"))
	if !strings.Contains(task, "_") {
		t.Fatalf("no array task running: squeue says %q", task)
	}
	if out, err := exec.Command("scancel", "--signal=USR1", "--batch", task).CombinedOutput(); err != nil {
		t.Fatalf("scancel --signal=USR1: %v: %s", err, out)
	}
	// The task goes back to the queue and waits there until its old job
	// credential expires (ci/slurm-up.sh makes that 10 s; 120 s by default).
	for end := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if strings.Contains(squeue(t, "-h", "-j", task, "-o", "%T"), "PENDING") {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("task %s was not requeued: squeue says %q", task, squeue(t, "-j", task))
		}
	}
	waitQueue(t, 5*time.Minute, "untied-slurm-preempt-smoke", "untied-slurm-preempt-smoke-table")

	logs, _ := filepath.Glob(filepath.Join(dir, "runs", "slurm-preempt", "smoke", "slurm", "untied-slurm-preempt-smoke-*_1.out"))
	if len(logs) != 1 {
		t.Fatalf("task logs %v, want one", logs)
	}
	log, _ := os.ReadFile(logs[0])
	if !bytes.Contains(log, []byte("USR1: checkpointing and requeueing")) || bytes.Count(log, []byte("sweep: [1/1]")) != 2 {
		t.Errorf("the task's log does not show the signal and two starts:\n%s", log)
	}
	got, err := result.Read(filepath.Join(cellDir, "result.json"))
	if err != nil || !got.Finished {
		t.Fatalf("after the requeue: %v (finished %v)", err, got != nil && got.Finished)
	}
	local := []string{"-experiment", exp, "-profile", "smoke", "-runs", filepath.Join(dir, "lruns"), "-results", filepath.Join(dir, "lresults")}
	runUntied(t, append([]string{"sweep", "-quiet", "-no-table"}, local...)...)
	want, err := result.Read(filepath.Join(dir, "lruns", "slurm-preempt", "smoke", "lenet", "bp", "default", "seed1", "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Epochs) != len(want.Epochs) || got.TestTop1 != want.TestTop1 {
		t.Fatalf("resumed run: %d epochs, top-1 %v; uninterrupted: %d, %v", len(got.Epochs), got.TestTop1, len(want.Epochs), want.TestTop1)
	}
	for i := range want.Epochs {
		if got.Epochs[i].TrainLoss != want.Epochs[i].TrainLoss {
			t.Errorf("epoch %d: train loss %v resumed, %v uninterrupted", i+1, got.Epochs[i].TrainLoss, want.Epochs[i].TrainLoss)
		}
	}
	if !exists(filepath.Join(dir, "results", "slurm-preempt", "smoke", "slurm-preempt.md")) {
		t.Error("the dependent job did not write the table")
	}
}

func squeue(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("squeue", args...).Output()
	if err != nil {
		t.Fatalf("squeue %v: %v", args, err)
	}
	return string(out)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(line)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestSweepStatusAndDryRun needs no Slurm: -status reads the run
// directories (a failed cell with its error, a cell not started), and
// -slurm -dry-run prints the array of the cells left to run.
func TestSweepStatusAndDryRun(t *testing.T) {
	dir := t.TempDir()
	flags := []string{"-experiment", "table1", "-profile", "smoke", "-runs", filepath.Join(dir, "runs"), "-results", filepath.Join(dir, "results")}
	runUntied(t, append([]string{"sweep", "-quiet", "-no-table"}, flags...)...)
	cells := filepath.Join(dir, "runs", "table1", "smoke")
	if err := os.RemoveAll(filepath.Join(cells, "resnet50", "sa")); err != nil {
		t.Fatal(err)
	}
	fa := filepath.Join(cells, "resnet18", "fa", "default", "seed1")
	os.Remove(filepath.Join(fa, "result.json"))
	os.WriteFile(filepath.Join(fa, "failed.txt"), []byte("out of memory\n"), 0o644)
	var out, errb bytes.Buffer
	code := mainErr(append([]string{"sweep", "-status"}, flags...), &out, &errb)
	if code != 1 || !strings.Contains(out.String(), "6 cells: 4 finished, 1 failed, 1 pending") ||
		!strings.Contains(out.String(), "resnet18/fa/default/seed1: out of memory") {
		t.Errorf("-status exited %d:\n%s%s", code, out.String(), errb.String())
	}
	dry := runUntied(t, append([]string{"sweep", "-slurm", "-dry-run", "-partition", "p1"}, flags...)...)
	for _, want := range []string{"#SBATCH --array=2,6\n", "#SBATCH --partition=p1\n", "untied-table1-smoke-table"} {
		if !strings.Contains(dry, want) {
			t.Errorf("dry run lacks %q:\n%s", want, dry)
		}
	}
	if exists(filepath.Join(cells, "slurm")) {
		t.Error("a dry run made the log directory")
	}
}

// TestSlurmTune runs a search with its trials as array tasks, a generation
// at a time, and checks it chooses what a local search chooses, trial for
// trial.
func TestSlurmTune(t *testing.T) {
	needSlurm(t)
	t.Setenv(asCommand, "1")
	dir := t.TempDir()
	for _, where := range []string{"slurm", "local"} {
		args := []string{"tune", "-experiment", "biotorch-lenet-lr", "-profile", "smoke", "-rules", "bp", "-quiet",
			"-runs", filepath.Join(dir, where, "runs"), "-results", filepath.Join(dir, where, "results")}
		if where == "slurm" {
			args = append(args, "-slurm")
		}
		runUntied(t, args...)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "slurm", "runs", "biotorch-lenet-lr", "smoke", "slurm", "*.out"))
	if len(logs) != 4 { // 2 searches × 2 trials, each its own array task
		t.Errorf("%d task logs, want 4: %v", len(logs), logs)
	}
	for _, f := range []string{"lenet-mnist-bp-mnist-best.json", "lenet-mnist-bp-mnist-trials.csv", "lenet-mnist-bp-fashion-mnist-best.json", "lenet-mnist-bp-fashion-mnist-trials.csv"} {
		got, err1 := os.ReadFile(filepath.Join(dir, "slurm", "results", "biotorch-lenet-lr", "smoke", f))
		want, err2 := os.ReadFile(filepath.Join(dir, "local", "results", "biotorch-lenet-lr", "smoke", f))
		if err1 != nil || err2 != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: the search on Slurm (%v) differs from the local one (%v):\n%s\n---\n%s", f, err1, err2, got, want)
		}
	}
}
