package table

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/untied-ml/untied/repro/experiments"
	"github.com/untied-ml/untied/repro/result"
)

func writeResult(t *testing.T, dir string, r result.Record) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := result.WriteJSON(filepath.Join(dir, "result.json"), r); err != nil {
		t.Fatal(err)
	}
}

func record(rule, model string, seed uint64, top1, angle float64, finished bool) result.Record {
	return result.Record{Config: result.Config{Rule: rule, Model: model, Seed: seed}, Finished: finished,
		TestTop1: top1, TestTop5: top1 + 5, MeanWeightAngle: angle}
}

// TestAccuracyTable builds a table from hand-written result files and
// checks the means, standard deviations, gaps to backprop and CSV columns.
func TestAccuracyTable(t *testing.T) {
	root := t.TempDir()
	writeResult(t, filepath.Join(root, "a"), record("bp", "resnet18", 1, 90, 0, true))
	writeResult(t, filepath.Join(root, "b"), record("bp", "resnet18", 2, 92, 0, true))
	writeResult(t, filepath.Join(root, "c"), record("fa", "resnet18", 1, 80, 88, true))
	writeResult(t, filepath.Join(root, "d"), record("fa", "resnet18", 2, 84, 86, true))
	writeResult(t, filepath.Join(root, "e"), record("sa", "resnet18", 1, 50, 5, false)) // unfinished
	rows, skipped, err := Collect(root, []string{"bp", "fa", "sa"})
	if err != nil {
		t.Fatal(err)
	}
	if skipped != 1 || len(rows) != 2 {
		t.Fatalf("Collect = %d rows, %d skipped; want 2 rows, 1 skipped", len(rows), skipped)
	}
	fa := rows[1]
	if fa.Rule != "fa" || fa.Top1.Mean != 82 || fa.Angle.Mean != 87 || fa.Seeds != 2 {
		t.Errorf("fa row = %+v, want top-1 mean 82, angle 87 over 2 seeds", fa)
	}
	if d := fa.Top1.Std - 2.8284271247; d > 1e-9 || d < -1e-9 {
		t.Errorf("fa top-1 std = %v, want √8 (sample std of 80, 84)", fa.Top1.Std)
	}
	out := t.TempDir()
	e := &experiments.Experiment{Name: "table1", Title: "t", Kind: "accuracy", Claims: map[string]string{"fa": "far behind"}}
	if err := Accuracy(out, Header{Experiment: e, Profile: "quick", Skipped: skipped}, rows); err != nil {
		t.Fatal(err)
	}
	csv, _ := os.ReadFile(filepath.Join(out, "table1.csv"))
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if !strings.HasPrefix(lines[0], "rule,model,top1,top5,gap_to_bp,weight_angle") {
		t.Errorf("CSV header %q", lines[0])
	}
	if want := "fa,resnet18,82.00,87.00,-9.00,87.00"; !strings.HasPrefix(lines[2], want) {
		t.Errorf("CSV fa line %q, want prefix %q", lines[2], want)
	}
	md, _ := os.ReadFile(filepath.Join(out, "table1.md"))
	for _, want := range []string{"82.00 ± 2.83", "-9.00", "far behind", "1 unfinished"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("table1.md lacks %q:\n%s", want, md)
		}
	}
}

// TestNoiseTableGapToBackprop: at site b, backprop has no run, so the gap
// is taken to noiseless backprop.
func TestNoiseTableGapToBackprop(t *testing.T) {
	root := t.TempDir()
	bp := record("bp", "resnet18", 1, 90, 0, true)
	writeResult(t, filepath.Join(root, "bp0"), bp)
	sa := record("sa", "resnet18", 1, 85, 3, true)
	sa.Config.NoiseVar, sa.Config.NoiseSite = 1e-3, "b"
	writeResult(t, filepath.Join(root, "sa"), sa)
	rows, _, err := Collect(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	e := &experiments.Experiment{Name: "noise", Kind: "noise"}
	if err := Noise(out, Header{Experiment: e, Profile: "quick"}, rows); err != nil {
		t.Fatal(err)
	}
	csv, _ := os.ReadFile(filepath.Join(out, "noise.csv"))
	if want := "sa,resnet18,b,0.001,85.00,90.00,-5.00"; !strings.Contains(string(csv), want) {
		t.Errorf("noise.csv lacks %q:\n%s", want, csv)
	}
}

// TestMachineNoteRevisions: the footer names the build of untied when the
// results record one, every build when they differ, and none when none do.
func TestMachineNoteRevisions(t *testing.T) {
	withRev := func(rev string) result.Record {
		r := record("bp", "resnet18", 1, 90, 0, true)
		r.Machine.Revision = rev
		return r
	}
	for _, tc := range []struct {
		revs []string
		want string
	}{
		{[]string{"", ""}, "go1"},
		{[]string{"abc123", "abc123"}, ", untied abc123."},
		{[]string{"def456-dirty", "abc123", ""}, ", 2 builds of untied (abc123, def456-dirty)."},
	} {
		var rs []*result.Record
		for _, rev := range tc.revs {
			r := withRev(rev)
			r.Machine.GoVersion = "go1"
			rs = append(rs, &r)
		}
		note := machineNote([]Row{{Results: rs}})
		if !strings.Contains(note, tc.want) || (tc.revs[0] == "" && strings.Contains(note, "untied")) {
			t.Errorf("revisions %q: note %q, want it to contain %q", tc.revs, note, tc.want)
		}
	}
}

// TestDivergedSeedsAreLeftOut checks a diverged run counts as diverged and
// is left out of the means (not averaged in at a placeholder accuracy), and
// that a row whose every seed diverged prints as diverged, without a gap.
func TestDivergedSeedsAreLeftOut(t *testing.T) {
	root := t.TempDir()
	writeResult(t, filepath.Join(root, "a"), record("bp", "resnet18", 1, 90, 0, true))
	writeResult(t, filepath.Join(root, "b"), record("fa", "resnet18", 1, 80, 88, true))
	gone := record("fa", "resnet18", 2, 10, 90, true) // 10: the chance placeholder older results hold
	gone.Diverged, gone.Steps = "training loss NaN at step 40 (epoch 1)", 40
	writeResult(t, filepath.Join(root, "c"), gone)
	all := record("wm", "resnet18", 1, 0, 0, true)
	all.Diverged, all.Steps = "training loss +Inf at step 7 (epoch 1)", 7
	writeResult(t, filepath.Join(root, "d"), all)
	rows, _, err := Collect(root, []string{"bp", "fa", "wm"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	fa, wm := rows[1], rows[2]
	if fa.Top1.Mean != 80 || fa.Diverged != 1 || top1(fa) != "80.00 (1 of 2 diverged, left out)" {
		t.Errorf("fa: mean %v, %d diverged, cell %q; want 80, 1, \"80.00 (1 of 2 diverged, left out)\"", fa.Top1.Mean, fa.Diverged, top1(fa))
	}
	if got := top1(wm); got != "diverged (step 7)" {
		t.Errorf("wm's cell = %q, want \"diverged (step 7)\"", got)
	}
	if _, ok := gap(rows, wm); ok {
		t.Error("wm, every seed diverged, has a gap to backprop")
	}
}

// TestTauFracFromAFullRun: τ as a fraction of the run comes from a seed
// that ran every step, not from one that diverged early.
func TestTauFracFromAFullRun(t *testing.T) {
	root := t.TempDir()
	gone := record("wm", "resnet18", 1, 0, 0, true)
	gone.Diverged, gone.Steps, gone.Config.AlignTau = "training loss NaN at step 10 (epoch 1)", 10, 5
	writeResult(t, filepath.Join(root, "a"), gone) // read first
	full := record("wm", "resnet18", 2, 80, 30, true)
	full.Steps, full.Config.AlignTau = 1000, 5
	writeResult(t, filepath.Join(root, "b"), full)
	rows, _, err := Collect(root, []string{"wm"})
	if err != nil || len(rows) != 1 {
		t.Fatalf("Collect = %d rows, %v; want 1", len(rows), err)
	}
	if got := rows[0].TauFrac; got != 0.005 {
		t.Errorf("TauFrac = %v, want 5/1000 from the seed that finished", got)
	}
}

// TestErrorTableSomeSeedsHalved: a row whose seed 1 diverged and ran
// again at half the rate, and whose seed 2 did not, shows the searched
// rate and how many seeds ran at less.
func TestErrorTableSomeSeedsHalved(t *testing.T) {
	root := t.TempDir()
	for i, c := range []struct {
		rule     string
		seed     uint64
		halve    int
		top1, lr float64
	}{{"bp", 1, 0, 99, 0.1}, {"fa", 1, 1, 98, 2e-3}, {"fa", 2, 0, 97, 4e-3}} {
		r := record(c.rule, "lenet-mnist", c.seed, c.top1, 0, true)
		r.Config.Data, r.Config.LR, r.Config.LRHalved = "mnist", c.lr, c.halve
		writeResult(t, filepath.Join(root, strconv.Itoa(i)), r)
	}
	rows, _, err := Collect(root, []string{"bp", "fa"})
	if err != nil || len(rows) != 2 {
		t.Fatalf("Collect = %d rows, %v; want 2", len(rows), err)
	}
	out := t.TempDir()
	e := &experiments.Experiment{Name: "bt", Title: "t", Kind: "error", Settings: []experiments.Setting{{Name: "mnist"}}}
	if err := Error(out, Header{Experiment: e, Profile: "quick"}, rows); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(out, "bt.md"))
	if want := "(+1.50; lr 0.004, halved after a divergence for 1 of 2 seeds)"; !strings.Contains(string(md), want) {
		t.Errorf("bt.md lacks %q:\n%s", want, md)
	}
}

// TestErrorTable: BioTorch's layout, a column per data set, top-1 error
// with its gap to backprop on the same data set and the row's learning
// rate, marked when a sweep halved it after a divergence; a profile that
// takes another's searches says so.
func TestErrorTable(t *testing.T) {
	root := t.TempDir()
	for i, c := range []struct {
		rule, data string
		top1, lr   float64
	}{{"bp", "mnist", 99, 0.1}, {"fa", "mnist", 98.2, 1e-3}, {"bp", "fashion-mnist", 91, 0.1}, {"fa", "fashion-mnist", 87, 2e-3}} {
		r := record(c.rule, "lenet-mnist", 1, c.top1, 0, true)
		r.Config.Data, r.Config.LR = c.data, c.lr
		if c.lr == 2e-3 {
			r.Config.LRHalved = 1
		}
		writeResult(t, filepath.Join(root, strconv.Itoa(i)), r)
	}
	rows, _, err := Collect(root, []string{"bp", "fa"})
	if err != nil || len(rows) != 4 {
		t.Fatalf("Collect = %d rows, %v; want 4", len(rows), err)
	}
	out := t.TempDir()
	e := &experiments.Experiment{Name: "bt", Title: "t", Kind: "error", Claims: map[string]string{"fa": "behind"},
		Settings: []experiments.Setting{{Name: "mnist"}, {Name: "fashion-mnist"}}}
	if err := Error(out, Header{Experiment: e, Profile: "full", TunedFrom: "quick", Missing: 2, Cells: 6}, rows); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(out, "bt.md"))
	for _, want := range []string{"| mnist | fashion-mnist |", "searches of profile `quick` chose", "2 of its 6 cells have no result yet", "| lenet-mnist | bp | 1.00 (lr 0.1) | 9.00 (lr 0.1) |",
		"| lenet-mnist | fa | 1.80 (+0.80; lr 0.001) | 13.00 (+4.00; lr 0.002, halved after a divergence) | behind |",
		"A rate marked halved is the searched one halved"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("bt.md lacks %q:\n%s", want, md)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(out, "bt.csv"))
	for _, want := range []string{"fa,lenet-mnist,mnist,1.80,0.00,0.80,0.001,0,1,0", "fa,lenet-mnist,fashion-mnist,13.00,0.00,4.00,0.002,1,1,0"} {
		if !strings.Contains(string(csv), want) {
			t.Errorf("bt.csv lacks %q:\n%s", want, csv)
		}
	}
}
