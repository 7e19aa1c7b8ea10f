//go:build unix

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// command starts the test binary as the untied command with args.
func command(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), asCommand+"=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// waitForLock waits until the lock file of run directory dir names a
// process other than this one, and returns its PID.
func waitForLock(t *testing.T, dir string) int {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(filepath.Join(dir, ".lock"))
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid != os.Getpid() {
			return pid
		}
	}
	t.Fatalf("no run took the lock of %s", dir)
	return 0
}

// alive reports whether process pid runs (a zombie does not).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// slowTrain is a run of a few seconds, checkpointing every 2 steps.
var slowTrain = []string{"train", "-data", "synthetic", "-model", "resnet18", "-width", "4", "-epochs", "3",
	"-batch", "64", "-metrics-every", "0", "-checkpoint-every", "2", "-quiet"}

// TestOneWriterPerRun starts a run in another process, then a second one
// into the same directory: it refuses at once, naming the first's PID.
// After kill -9 of the first, the same command reclaims the directory and
// finishes the run.
func TestOneWriterPerRun(t *testing.T) {
	t.Setenv(asCommand, "1")
	args := append(slowTrain, "-out", filepath.Join(t.TempDir(), "run"))
	out := args[len(args)-1]
	first := command(t, args...)
	pid := waitForLock(t, out)
	if pid != first.Process.Pid {
		t.Fatalf("lock holder %d, want the first run %d", pid, first.Process.Pid)
	}
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := mainErr(args, &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), fmt.Sprintf("pid %d", pid)) {
		t.Fatalf("second run into %s exited %d:\n%s\nwant a refusal naming pid %d", out, code, stderr.String(), pid)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the refusal took %v, want it at once", d)
	}
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	stderr.Reset()
	if code := mainErr(args, &stdout, &stderr); code != 0 {
		t.Errorf("rerun after the holder died exited %d:\n%s", code, stderr.String())
	}
	if b, _ := os.ReadFile(filepath.Join(out, "result.json")); !bytes.Contains(b, []byte(`"finished": true`)) {
		t.Errorf("the rerun left no finished result in %s", out)
	}
}

// TestJobsDieWithParent kills a -jobs sweep's parent with SIGKILL: its
// job, a long cell, must stop too (after its checkpoint) instead of racing
// a rerun.
func TestJobsDieWithParent(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs Linux's parent-death signal")
	}
	t.Setenv(asCommand, "1")
	base := t.TempDir()
	exp := filepath.Join(base, "slow.json")
	os.WriteFile(exp, []byte(`{"name":"slow","kind":"accuracy","rules":["bp"],"models":["resnet18"],"seeds":[1,2],
		"profiles":{"p":{"data":"synthetic","width":4,"epochs":40,"batch":64,"metrics_every":0,"checkpoint_every":2}}}`), 0o644)
	runs := filepath.Join(base, "runs")
	parent := command(t, "sweep", "-experiment", exp, "-profile", "p", "-runs", runs, "-results", filepath.Join(base, "results"), "-jobs", "2", "-quiet")
	job := waitForLock(t, filepath.Join(runs, "slow", "p", "resnet18", "bp", "default", "seed1"))
	if job == parent.Process.Pid {
		t.Fatalf("the cell runs in the parent (%d), want a job of its own", job)
	}
	parent.Process.Signal(syscall.SIGKILL)
	parent.Wait()
	for deadline := time.Now().Add(30 * time.Second); alive(job); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			syscall.Kill(job, syscall.SIGKILL)
			t.Fatalf("job %d still runs 30 s after its parent was killed", job)
		}
	}
}

// TestTwoSweepsShareCells runs a sweep while another process sweeps the
// same runs directory: the cell the other holds is left to it, not run a
// second time, and both sweeps end with every cell finished once.
func TestTwoSweepsShareCells(t *testing.T) {
	t.Setenv(asCommand, "1")
	base := t.TempDir()
	exp := filepath.Join(base, "two.json")
	os.WriteFile(exp, []byte(`{"name":"two","kind":"accuracy","rules":["bp"],"models":["resnet18"],"seeds":[1,2],
		"profiles":{"p":{"data":"synthetic","width":4,"epochs":6,"batch":64,"metrics_every":0}}}`), 0o644)
	runs := filepath.Join(base, "runs")
	args := []string{"sweep", "-experiment", exp, "-profile", "p", "-runs", runs, "-results", filepath.Join(base, "results"), "-no-table"}
	other := command(t, args...)
	seed1 := filepath.Join(runs, "two", "p", "resnet18", "bp", "default", "seed1")
	waitForLock(t, seed1)
	var stdout, stderr bytes.Buffer
	if code := mainErr(args, &stdout, &stderr); code != 0 {
		t.Fatalf("the second sweep exited %d:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "seed1: running in another process") {
		t.Errorf("the second sweep did not leave seed1 to the first:\n%s", stderr.String())
	}
	if err := other.Wait(); err != nil {
		t.Errorf("the first sweep: %v", err)
	}
	for _, seed := range []string{"seed1", "seed2"} {
		b, err := os.ReadFile(filepath.Join(runs, "two", "p", "resnet18", "bp", "default", seed, "result.json"))
		if err != nil || !bytes.Contains(b, []byte(`"finished": true`)) {
			t.Errorf("%s: %v, want a finished result", seed, err)
		}
	}
}
