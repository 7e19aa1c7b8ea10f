package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/untied-ml/untied/repro/result"
	"github.com/untied-ml/untied/repro/sweep"
	"github.com/untied-ml/untied/repro/tune"
)

// TestTuneSmoke runs the smoke search as two jobs, then again: the second
// run proposes and re-runs nothing (no result file is rewritten), and a
// search run in one process from scratch proposes the same trials. It
// checks the outputs a table's variant names: the best setting, the
// trials' CSV and plot.
func TestTuneSmoke(t *testing.T) {
	t.Setenv(asCommand, "1")
	base := t.TempDir()
	var log string // the last run's stderr
	tune := func(runs, jobs string) string {
		t.Helper()
		var out, errb bytes.Buffer
		args := []string{"tune", "-profile", "smoke", "-runs", runs, "-results", filepath.Join(base, "results"), "-jobs", jobs}
		if code := mainErr(args, &out, &errb); code != 0 {
			t.Fatalf("untied %v exited %d:\n%s", args, code, errb.String())
		}
		log = errb.String()
		return out.String()
	}
	runs := filepath.Join(base, "runs")
	first := tune(runs, "2")
	// Progress over the invocation: which search, and the time left once
	// a generation has run.
	for _, want := range []string{"trials 1–2 of 3 (search 1 of 2, ? left)", "trials 3–3 of 3 (search 1 of 2, about ", "(search 2 of 2, about "} {
		if !strings.Contains(log, want) {
			t.Errorf("untied tune's log lacks %q:\n%s", want, log)
		}
	}
	for _, f := range []string{"resnet18-wm-best.json", "resnet18-ia-best.json", "resnet18-wm-trials.csv", "resnet18-ia-trials.png"} {
		if _, err := os.Stat(filepath.Join(base, "results", "tune", "smoke", f)); err != nil {
			t.Errorf("after untied tune: %v", err)
		}
	}
	best, err := sweep.ReadTuned(filepath.Join(base, "results", "tune", "smoke", "resnet18-wm-best.json"))
	if err != nil || best.Rule != "wm" || best.Trials != 3 {
		t.Fatalf("best setting %+v, %v; want wm's, of 3 trials", best, err)
	}

	results, _ := filepath.Glob(filepath.Join(runs, "tune", "smoke", "*", "*", "trial*", "seed*", "result.json"))
	if len(results) != 6 {
		t.Fatalf("%d trial results, want 3 trials × 2 rules", len(results))
	}
	mtimes := map[string]time.Time{}
	for _, f := range results {
		fi, _ := os.Stat(f)
		mtimes[f] = fi.ModTime()
	}
	if again := tune(runs, "2"); again != first {
		t.Errorf("second untied tune printed\n%s\nwant the first run's\n%s", again, first)
	}
	for f, m := range mtimes {
		if fi, _ := os.Stat(f); !fi.ModTime().Equal(m) {
			t.Errorf("second untied tune rewrote %s", f)
		}
	}

	// A search from scratch in one process, interrupted after writing the
	// first trial of a generation of two (trial001 and on removed): it
	// completes the generation with the same points.
	other := filepath.Join(base, "other")
	tune(other, "1")
	for _, rule := range []string{"wm", "ia"} {
		for _, k := range []int{1, 2} {
			if err := os.RemoveAll(filepath.Join(other, "tune", "smoke", "resnet18", rule, sweep.TrialName(k))); err != nil {
				t.Fatal(err)
			}
		}
	}
	tune(other, "1")
	for _, rule := range []string{"wm", "ia"} {
		a, err1 := sweep.ReadTrials(filepath.Join(runs, "tune", "smoke", "resnet18", rule))
		b, err2 := sweep.ReadTrials(filepath.Join(other, "tune", "smoke", "resnet18", rule))
		if err1 != nil || err2 != nil || len(a) != 3 || len(a) != len(b) {
			t.Fatalf("%s: %d and %d trials (%v, %v), want 3 each", rule, len(a), len(b), err1, err2)
		}
		for i := range a {
			if string(a[i].Config) != string(b[i].Config) {
				t.Errorf("%s trial %d: %s as two jobs, %s in one process", rule, i, a[i].Config, b[i].Config)
			}
		}
	}
}

// TestTuneBadArgs: an unknown experiment, a rule the profile does not
// search and a trial.json the search cannot have written are clear errors.
func TestTuneBadArgs(t *testing.T) {
	base := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-experiment", "nosuch"}, 2, "nosuch"},
		{[]string{"-profile", "smoke", "-rules", "fa"}, 2, `"fa"`},
		{[]string{"-experiment", "table1", "-profile", "smoke"}, 2, `kind "accuracy"`},
	} {
		var out, errb bytes.Buffer
		args := append([]string{"tune", "-runs", filepath.Join(base, "runs"), "-results", filepath.Join(base, "results")}, tc.args...)
		if code := mainErr(args, &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("untied %v: exit %d, %q; want exit %d and an error naming %s", args, code, errb.String(), tc.code, tc.want)
		}
	}
	dir := filepath.Join(base, "runs", "tune", "smoke", "resnet18", "wm")
	if err := sweep.WriteTrial(dir, sweep.TrialFile{Index: 0, Params: []string{"align.amp", "align_time_fraction", "rule", "align_center"},
		Point: tune.Point{1e-3, 0.01, 7, 0}, Config: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	args := []string{"tune", "-profile", "smoke", "-rules", "wm", "-runs", filepath.Join(base, "runs"), "-results", filepath.Join(base, "results")}
	if code := mainErr(args, &out, &errb); code == 0 || !strings.Contains(errb.String(), "trial000") || !strings.Contains(errb.String(), `"rule"`) {
		t.Errorf("untied tune over a trial with choice index 7: exit %d, %q; want an error naming the file and the parameter", code, errb.String())
	}
}

// TestNewExperimentsSmoke runs the smoke profiles of the transfer and
// depth experiments and renders their tables.
func TestNewExperimentsSmoke(t *testing.T) {
	base := t.TempDir()
	for _, name := range []string{"transfer", "depth"} {
		var out, errb bytes.Buffer
		args := []string{"sweep", "-experiment", name, "-profile", "smoke", "-runs", filepath.Join(base, "runs"),
			"-results", filepath.Join(base, "results"), "-quiet"}
		if code := mainErr(args, &out, &errb); code != 0 {
			t.Fatalf("untied %v exited %d:\n%s", args, code, errb.String())
		}
		md, err := os.ReadFile(filepath.Join(base, "results", name, "smoke", name+".md"))
		if err != nil || !strings.Contains(strings.ToLower(string(md)), "resnet-34") && !strings.Contains(string(md), "resnet34") {
			t.Errorf("%s.md: %v, want a table with resnet34:\n%s", name, err, md)
		}
	}
}

// TestBioTorchSmoke runs the smoke profiles of BioTorch's LeNet benchmark:
// the learning-rate search of one rule, a search per data set (the
// experiment's settings), then the table, whose every cell runs at the
// learning rate its committed smoke search chose.
func TestBioTorchSmoke(t *testing.T) {
	base := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		args = append(args, "-runs", filepath.Join(base, "runs"), "-results", filepath.Join(base, "results"), "-quiet")
		if code := mainErr(args, &out, &errb); code != 0 {
			t.Fatalf("untied %v exited %d:\n%s", args, code, errb.String())
		}
		return out.String()
	}
	out := run("tune", "-experiment", "biotorch-lenet-lr", "-profile", "smoke", "-rules", "fa")
	for _, data := range []string{"mnist", "fashion-mnist"} {
		best, err := sweep.ReadTuned(filepath.Join(base, "results", "biotorch-lenet-lr", "smoke", "lenet-mnist-fa-"+data+"-best.json"))
		if err != nil || best.Setting != data || !strings.Contains(string(best.Config), `"lr"`) {
			t.Errorf("fa's search on %s: %+v, %v; want a learning rate (untied tune printed %q)", data, best, err, out)
		}
	}
	run("sweep", "-experiment", "biotorch-lenet", "-profile", "smoke")
	md, err := os.ReadFile(filepath.Join(base, "results", "biotorch-lenet", "smoke", "biotorch-lenet.md"))
	if err != nil || !strings.Contains(string(md), "| model | rule | mnist | fashion-mnist |") || !strings.Contains(string(md), "| lenet-mnist | dfa |") {
		t.Errorf("biotorch-lenet.md: %v, want a column per data set and a dfa row:\n%s", err, md)
	}
	for _, rule := range []string{"bp", "fa", "dfa"} {
		for _, data := range []string{"mnist", "fashion-mnist"} {
			tuned, err := sweep.ReadTuned(filepath.Join("..", "..", "results", "biotorch-lenet-lr", "smoke", "lenet-mnist-"+rule+"-"+data+"-best.json"))
			if err != nil {
				t.Fatal(err)
			}
			r, err := result.Read(filepath.Join(base, "runs", "biotorch-lenet", "smoke", "lenet-mnist", rule, data, "seed1", "result.json"))
			if err != nil {
				t.Fatal(err)
			}
			var set struct{ LR float64 }
			if err := json.Unmarshal(tuned.Config, &set); err != nil || set.LR != r.Config.LR || r.Config.Data != data {
				t.Errorf("%s on %s ran on %s at lr %v; its tuned setting is %s", rule, data, r.Config.Data, r.Config.LR, tuned.Config)
			}
		}
	}
}
