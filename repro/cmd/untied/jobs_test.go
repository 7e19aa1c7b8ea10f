package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/untied-ml/untied/repro/experiments"
	"github.com/untied-ml/untied/repro/result"
	"github.com/untied-ml/untied/repro/sweep"
)

// asCommand makes the test binary act as the untied command when a test
// starts it as a process (sweep -jobs starts its jobs so).
const asCommand = "UNTIED_TEST_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(asCommand) == "1" {
		os.Exit(mainErr(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestSweepJobs runs the smoke table twice, in one process and as two jobs
// at once: every cell runs once and gives the same result either way.
func TestSweepJobs(t *testing.T) {
	t.Setenv(asCommand, "1")
	base := t.TempDir()
	results := map[int]map[string]float64{}
	for _, jobs := range []int{1, 2} {
		runs := filepath.Join(base, "runs", strings.Repeat("j", jobs))
		var out, errb bytes.Buffer
		args := []string{"sweep", "-experiment", "table1", "-profile", "smoke", "-runs", runs,
			"-results", filepath.Join(base, "results"), "-jobs", strconv.Itoa(jobs)}
		if code := mainErr(args, &out, &errb); code != 0 {
			t.Fatalf("untied %v exited %d:\n%s", args, code, errb.String())
		}
		if jobs == 2 && !strings.Contains(errb.String(), "2 at once") {
			t.Errorf("-jobs 2 did not say it ran two cells at once:\n%s", errb.String())
		}
		files, _ := filepath.Glob(filepath.Join(runs, "table1", "smoke", "*", "*", "*", "*", "result.json"))
		results[jobs] = map[string]float64{}
		for _, f := range files {
			r, err := result.Read(f)
			if err != nil || !r.Finished {
				t.Fatalf("%s: %v (finished %v)", f, err, r != nil && r.Finished)
			}
			rel, _ := filepath.Rel(runs, f)
			results[jobs][rel] = r.TestTop1
		}
	}
	if len(results[1]) == 0 || len(results[1]) != len(results[2]) {
		t.Fatalf("cells finished: %d in one process, %d as two jobs", len(results[1]), len(results[2]))
	}
	for cell, top1 := range results[1] {
		if got, ok := results[2][cell]; !ok || got != top1 {
			t.Errorf("%s: top-1 %v as two jobs, %v in one process", cell, got, top1)
		}
	}
}

// TestSweepJobsSlice runs slice 2/2 of the smoke table's cells as two
// jobs, of all of them and of those -rules and -seeds select: exactly the
// cells of that slice of the selection finish.
func TestSweepJobsSlice(t *testing.T) {
	t.Setenv(asCommand, "1")
	e, err := experiments.Load("table1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flags    []string
		selected func(sweep.Cell) bool
	}{
		{nil, func(sweep.Cell) bool { return true }},
		{[]string{"-rules", "fa,sa", "-seeds", "1"}, func(c sweep.Cell) bool { return c.Rule == "fa" || c.Rule == "sa" }},
	} {
		runs := t.TempDir()
		args := append([]string{"sweep", "-experiment", "table1", "-profile", "smoke", "-runs", runs, "-results", t.TempDir(), "-cells", "2/2", "-jobs", "2", "-quiet"}, tc.flags...)
		var out, errb bytes.Buffer
		if code := mainErr(args, &out, &errb); code != 0 {
			t.Fatalf("untied %v exited %d:\n%s", args, code, errb.String())
		}
		all, err := sweep.Cells(e, "smoke", runs)
		if err != nil {
			t.Fatal(err)
		}
		k := 0 // index among the selected cells
		for _, c := range all {
			want := false
			if tc.selected(c) {
				want = k%2 == 1
				k++
			}
			if got := sweep.StatusOf(c) == sweep.Finished; got != want {
				t.Errorf("%v: cell %s: finished %v, want %v", tc.flags, c.ID(), got, want)
			}
		}
	}
	for _, bad := range [][]string{{"-rules", "fa,nope"}, {"-seeds", "9"}, {"-seeds", "one"}} {
		args := append([]string{"sweep", "-experiment", "table1", "-profile", "smoke", "-runs", t.TempDir(), "-quiet"}, bad...)
		var out, errb bytes.Buffer
		if code := mainErr(args, &out, &errb); code != 2 {
			t.Errorf("untied %v exited %d, want 2 (a usage error)", args, code)
		}
	}
}

// TestSummaryReadsTheRetry: a cell whose run diverged and whose retry at
// half the rate trained is reported by the retry's result.
func TestSummaryReadsTheRetry(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "seed1")
	c := sweep.Cell{Config: result.Config{Out: dir, LR: 0.1}, Retries: 1}
	diverged := &result.Record{Config: c.Config, Finished: true, Diverged: "loss NaN at step 5"}
	retry := &result.Record{Config: c.Config, Finished: true, TestTop1: 98.5}
	retry.Config.LR, retry.Config.LRHalved = 0.05, 1
	for path, r := range map[string]*result.Record{dir: diverged, dir + "-lr-halved-1": retry} {
		if err := os.MkdirAll(path, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := result.WriteJSON(filepath.Join(path, "result.json"), r); err != nil {
			t.Fatal(err)
		}
	}
	if s := summary(c); !strings.Contains(s, "top-1 98.50%") || !strings.Contains(s, "at lr 0.05 (halved 1×") {
		t.Errorf("summary = %q, want the retry's top-1 and rate", s)
	}
}
