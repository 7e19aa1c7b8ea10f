package sweep

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/untied-ml/untied/repro/experiments"
)

func load(t *testing.T, name string) *experiments.Experiment {
	t.Helper()
	e, err := experiments.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestCellsExpansion(t *testing.T) {
	cases := []struct {
		exp, profile string
		want         int
	}{
		{"table1", "smoke", 2 * 3},     // 2 models × bp, fa, sa
		{"table1", "quick", 2 * 8 * 3}, // the six rules of the paper's table and the tuned WM and IA, three seeds
		{"table1", "quick-ext", 2 * 7}, // BP and the rules beside the paper's
		{"table1", "full", 2 * 14},     // every row
		{"noise", "smoke", 2*7 - 3},    // bp has no B: its three site-b cells are left out
		{"noise", "quick", 6*7 - 3},    // six rules × seven settings, bp again without site b
	}
	for _, c := range cases {
		cells, err := Cells(load(t, c.exp), c.profile, "root")
		if err != nil {
			t.Fatalf("Cells(%s, %s): %v", c.exp, c.profile, err)
		}
		if len(cells) != c.want {
			t.Errorf("Cells(%s, %s) = %d cells, want %d", c.exp, c.profile, len(cells), c.want)
		}
		ids := map[string]bool{}
		for _, cell := range cells {
			if ids[cell.Config.Out] {
				t.Errorf("%s/%s: two cells write to %s", c.exp, c.profile, cell.Config.Out)
			}
			ids[cell.Config.Out] = true
			if cell.Config.Rule != cell.Rule && cell.Config.Variant != cell.Rule || cell.Config.Model != cell.Model {
				t.Errorf("cell %s has config rule %s model %s", cell.ID(), cell.Config.Rule, cell.Config.Model)
			}
		}
	}
}

func TestProfileTyposAreErrors(t *testing.T) {
	e, err := experiments.Parse([]byte(`{"name":"x","kind":"accuracy","rules":["bp"],"models":["lenet"],"seeds":[1],
		"profiles":{"p":{"epoch":3}}}`), "x.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Cells(e, "p", "root"); err == nil {
		t.Errorf("a profile with the unknown field \"epoch\" expanded without error")
	}
	if _, err := Cells(e, "nope", "root"); err == nil {
		t.Errorf("an unknown profile expanded without error")
	}
}

func TestSlicesPartitionTheCells(t *testing.T) {
	cells, err := Cells(load(t, "noise"), "quick", "root")
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for i := 1; i <= 3; i++ {
		s, err := Slice(cells, i, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range s {
			all = append(all, c.ID())
		}
	}
	var want []string
	for _, c := range cells {
		want = append(want, c.ID())
	}
	slices.Sort(all)
	slices.Sort(want)
	if !slices.Equal(all, want) {
		t.Errorf("slices 1/3, 2/3, 3/3 cover %d cells, want each of the %d exactly once", len(all), len(want))
	}
	for _, bad := range [][2]int{{0, 3}, {4, 3}, {1, 0}} {
		if _, err := Slice(cells, bad[0], bad[1]); err == nil {
			t.Errorf("Slice(%d/%d) = nil error", bad[0], bad[1])
		}
	}
}

// TestFinishedCellsAreNeverRerun runs the smoke sweep, then runs it again
// and checks no finished result file was rewritten; a partial result is
// run again.
func TestFinishedCellsAreNeverRerun(t *testing.T) {
	root := t.TempDir()
	cells, err := Cells(load(t, "table1"), "smoke", root)
	if err != nil {
		t.Fatal(err)
	}
	cells = cells[:2]
	if err := Run(cells, Options{}); err != nil {
		t.Fatal(err)
	}
	stamp := map[string]time.Time{}
	for _, c := range cells {
		if StatusOf(c) != Finished {
			t.Fatalf("cell %s not finished after the sweep", c.ID())
		}
		fi, err := os.Stat(filepath.Join(c.Config.Out, "result.json"))
		if err != nil {
			t.Fatal(err)
		}
		stamp[c.ID()] = fi.ModTime()
	}
	time.Sleep(10 * time.Millisecond)
	if err := Run(cells, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		fi, _ := os.Stat(filepath.Join(c.Config.Out, "result.json"))
		if !fi.ModTime().Equal(stamp[c.ID()]) {
			t.Errorf("cell %s: finished result.json rewritten by a second sweep", c.ID())
		}
	}
	// A partial result (an interrupted cell) is run again.
	path := filepath.Join(cells[0].Config.Out, "result.json")
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), `"finished": true`, `"finished": false`, 1)), 0o644)
	if StatusOf(cells[0]) != Partial {
		t.Fatalf("StatusOf(edited result) = %v, want Partial", StatusOf(cells[0]))
	}
	if err := Run(cells, Options{}); err != nil {
		t.Fatal(err)
	}
	if StatusOf(cells[0]) != Finished {
		t.Errorf("partial cell not finished by the next sweep")
	}
}

// TestNamesArePathElements checks that names which would write outside
// the runs or results directories, and repeated rules, models or seeds,
// are refused when the experiment is read, naming the field.
func TestNamesArePathElements(t *testing.T) {
	base := `{"name":%s,"kind":"accuracy","rules":%s,"models":%s,"seeds":%s,"settings":%s,"profiles":{"p":%s}}`
	ok := []string{`"x"`, `["bp"]`, `["lenet"]`, `[1]`, `[]`, `{}`}
	cases := []struct {
		at    int
		value string
		field string
	}{
		{0, `"../x"`, "name"},
		{1, `["bp","../../etc"]`, "rules"},
		{1, `["bp","bp"]`, "rules"},
		{2, `["lenet","lenet"]`, "models"},
		{3, `[1,1]`, "seeds"},
		{4, `[{"name":"a/../../b","config":{}}]`, "settings"},
		{4, `[{"name":"..","config":{}}]`, "settings"},
	}
	for _, c := range cases {
		v := slices.Clone(ok)
		v[c.at] = c.value
		args := make([]any, len(v))
		for i := range v {
			args[i] = v[i]
		}
		_, err := experiments.Parse([]byte(fmt.Sprintf(base, args...)), "x.json")
		if err == nil || !strings.Contains(err.Error(), `"`+c.field+`"`) {
			t.Errorf("%s = %s: error %v, want one naming field %q", c.field, c.value, err, c.field)
		}
	}
	e, err := experiments.Parse([]byte(`{"name":"x","kind":"accuracy","rules":["bp"],"models":["lenet"],"seeds":[1],"profiles":{"p":{"seeds":[2,2]}}}`), "x.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Cells(e, "p", t.TempDir()); err == nil || !strings.Contains(err.Error(), "seeds") {
		t.Errorf("a profile with seed 2 twice: error %v, want one naming seeds", err)
	}
}

func TestSelect(t *testing.T) {
	cells, err := Cells(load(t, "biotorch-lenet"), "quick", "root")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Select(cells, []string{"bp", "brsf"}, []uint64{2})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range got {
		ids = append(ids, c.ID())
	}
	want := []string{"lenet-mnist/bp/mnist/seed2", "lenet-mnist/bp/fashion-mnist/seed2", "lenet-mnist/brsf/mnist/seed2", "lenet-mnist/brsf/fashion-mnist/seed2"}
	if !slices.Equal(ids, want) {
		t.Errorf("Select(bp,brsf; seed 2) = %v, want %v", ids, want)
	}
	if all, err := Select(cells, nil, nil); err != nil || len(all) != len(cells) {
		t.Errorf("Select(nil, nil) = %d cells, %v; want all %d", len(all), err, len(cells))
	}
	if _, err := Select(cells, []string{"bp", "nope"}, nil); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Select of an unknown rule: %v, want an error naming it", err)
	}
	if _, err := Select(cells, nil, []uint64{7}); err == nil || !strings.Contains(err.Error(), "seed 7") {
		t.Errorf("Select of an unknown seed: %v, want an error naming it", err)
	}
}

// TestFullProfileTakesQuickRates checks that biotorch-lenet's 100-epoch
// profile runs each rule at the rate the quick search chose (its
// tuned_from), as no 100-epoch search exists.
func TestFullProfileTakesQuickRates(t *testing.T) {
	e := load(t, "biotorch-lenet")
	cells, err := Cells(e, "full", "root")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		if c.Config.Epochs != 100 {
			t.Errorf("%s: %d epochs, want 100", c.ID(), c.Config.Epochs)
		}
		tuned, err := ReadTuned(e.TunedPath("quick", SearchKey{Model: c.Model, Rule: c.Rule, Setting: c.Setting}.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var set struct{ LR float64 }
		if err := json.Unmarshal(tuned.Config, &set); err != nil || set.LR != c.Config.LR {
			t.Errorf("%s: lr %v, the quick search chose %s", c.ID(), c.Config.LR, tuned.Config)
		}
	}
}
