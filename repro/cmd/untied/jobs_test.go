package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/untied-ml/untied/repro/run"
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
			"-results", filepath.Join(base, "results"), "-no-bars", "-jobs", strconv.Itoa(jobs)}
		if code := mainErr(args, &out, &errb); code != 0 {
			t.Fatalf("untied %v exited %d:\n%s", args, code, errb.String())
		}
		if jobs == 2 && (!strings.Contains(errb.String(), "[job 1]") || !strings.Contains(errb.String(), "[job 2]")) {
			t.Errorf("-jobs 2 printed no lines of both jobs:\n%s", errb.String())
		}
		files, _ := filepath.Glob(filepath.Join(runs, "table1", "smoke", "*", "*", "*", "*", "result.json"))
		results[jobs] = map[string]float64{}
		for _, f := range files {
			r, err := run.ReadResult(f)
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

// TestJobSlice checks that the jobs' slices of slice i/n of a sweep are
// disjoint and together are slice i/n, for round-robin slicing.
func TestJobSlice(t *testing.T) {
	cells := make([]sweep.Cell, 11)
	for c := range cells {
		cells[c].Config.Out = strconv.Itoa(c)
	}
	ids := func(cs []sweep.Cell) []string {
		var s []string
		for _, c := range cs {
			s = append(s, c.Config.Out)
		}
		slices.Sort(s)
		return s
	}
	for n := 1; n <= 3; n++ {
		for i := 1; i <= n; i++ {
			want, _ := sweep.Slice(cells, i, n)
			for jobs := 1; jobs <= 4; jobs++ {
				var got []sweep.Cell
				for k := 1; k <= jobs; k++ {
					ki, kn := jobSlice(i, n, k, jobs)
					part, err := sweep.Slice(cells, ki, kn)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, part...)
				}
				if !slices.Equal(ids(got), ids(want)) {
					t.Errorf("slice %d/%d as %d jobs: cells %v, want %v", i, n, jobs, ids(got), ids(want))
				}
			}
		}
	}
}
