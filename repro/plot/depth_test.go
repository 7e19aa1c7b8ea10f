package plot

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/untied-ml/untied/repro/table"
)

// depthRows are bp and ia on v1 and v2 ResNets and on lenet (no depth),
// and fa on a model without bp.
func depthRows() []table.Row {
	var rows []table.Row
	for _, m := range []string{"resnet18", "resnet50", "resnet152", "resnet50v2", "resnet152v2", "lenet"} {
		rows = append(rows,
			row("", 0, seeded("bp", m, 1, 90, 0, 0), seeded("bp", m, 2, 92, 0, 0)),
			row("", 0, seeded("ia", m, 1, 88, 0, 0), seeded("ia", m, 2, 89, 0, 0)))
	}
	return append(rows, row("", 0, seeded("fa", "resnet34", 1, 70, 0, 0)))
}

func TestDepth(t *testing.T) {
	dir := t.TempDir()
	if err := Depth(dir, "depth", depthRows()); err != nil {
		t.Fatalf("Depth: %v", err)
	}
	checkDir(t, dir, []string{"depth-gap"})
	svg, err := os.ReadFile(filepath.Join(dir, "depth-gap.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{">IA<", ">IA (v2)<", ">18<", ">152<", "depth (layers, log scale)"} {
		if !bytes.Contains(svg, []byte(s)) {
			t.Errorf("Depth SVG has no %q", s)
		}
	}
	for _, s := range []string{">FA<", ">BP<", ">34<"} {
		if bytes.Contains(svg, []byte(s)) {
			t.Errorf("Depth SVG has %q (fa has no bp row to compare with; bp no gap)", s)
		}
	}
}

func TestDepthEmpty(t *testing.T) {
	onlyBP := []table.Row{row("", 0, seeded("bp", "resnet18", 1, 90, 0, 0))}
	noDepth := []table.Row{row("", 0, seeded("bp", "lenet", 1, 90, 0, 0)), row("", 0, seeded("fa", "lenet", 1, 80, 0, 0))}
	for _, rows := range [][]table.Row{nil, onlyBP, noDepth} {
		dir := filepath.Join(t.TempDir(), "figs")
		if err := Depth(dir, "x", rows); err != nil {
			t.Errorf("Depth(%d rows) = %v, want nil", len(rows), err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("Depth of %d rows without a gap created %s (Stat: %v)", len(rows), dir, err)
		}
	}
}

func TestGapStd(t *testing.T) {
	bp := row("", 0, seeded("bp", "m", 1, 90, 0, 0), seeded("bp", "m", 2, 92, 0, 0), seeded("bp", "m", 3, 94, 0, 0))
	// Paired by seed (listed out of order): gaps -2, -1, -3, std 1.
	paired := row("", 0, seeded("ia", "m", 3, 91, 0, 0), seeded("ia", "m", 1, 88, 0, 0), seeded("ia", "m", 2, 91, 0, 0))
	// Other seeds: the rule's own std.
	other := row("", 0, seeded("ia", "m", 4, 88, 0, 0), seeded("ia", "m", 5, 91, 0, 0), seeded("ia", "m", 6, 91, 0, 0))
	fewer := row("", 0, seeded("ia", "m", 1, 88, 0, 0), seeded("ia", "m", 2, 91, 0, 0))
	for _, c := range []struct {
		name string
		r    table.Row
		want float64
	}{{"paired", paired, 1}, {"other seeds", other, other.Top1.Std}, {"fewer seeds", fewer, fewer.Top1.Std}} {
		if got := gapStd(c.r, bp); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("gapStd(%s) = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestTrials(t *testing.T) {
	dir := t.TempDir()
	trials := []TrialPoint{{0, 80, false}, {1, math.NaN(), true}, {2, 85, false}, {3, 83, false}}
	if err := Trials(dir, "resnet18-wm-trials", "tune: wm", trials); err != nil {
		t.Fatalf("Trials: %v", err)
	}
	checkDir(t, dir, []string{"resnet18-wm-trials"})
	svg, err := os.ReadFile(filepath.Join(dir, "resnet18-wm-trials.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"best so far", "failed", "validation top-1 (%)", "tune: wm"} {
		if !bytes.Contains(svg, []byte(s)) {
			t.Errorf("Trials SVG has no %q", s)
		}
	}
	allFailed := t.TempDir()
	if err := Trials(allFailed, "f", "all failed", []TrialPoint{{0, math.NaN(), true}}); err != nil {
		t.Fatalf("Trials(all failed): %v", err)
	}
	checkDir(t, allFailed, []string{"f"})
	none := filepath.Join(t.TempDir(), "figs")
	if err := Trials(none, "f", "none", nil); err != nil {
		t.Errorf("Trials(no trials) = %v, want nil", err)
	}
	if _, err := os.Stat(none); !os.IsNotExist(err) {
		t.Errorf("Trials without trials created %s (Stat: %v)", none, err)
	}
}

func TestBestSoFar(t *testing.T) {
	// Out of order; the first trial failed, a later one scored NaN.
	trials := []TrialPoint{{3, 60, false}, {0, 0, true}, {1, 50, false}, {4, math.NaN(), false}, {2, 45, false}, {5, 70, true}}
	got := bestSoFar(trials)
	want := []struct{ x, y float64 }{{1, 50}, {2, 50}, {3, 60}, {4, 60}, {5, 60}}
	if len(got) != len(want) {
		t.Fatalf("bestSoFar(%v) = %v, want %v", trials, got, want)
	}
	for i, w := range want {
		if got[i].X != w.x || got[i].Y != w.y {
			t.Errorf("bestSoFar(%v)[%d] = %v, want %v", trials, i, got[i], w)
		}
	}
	if got := bestSoFar([]TrialPoint{{0, 0, true}}); len(got) != 0 {
		t.Errorf("bestSoFar(one failed trial) = %v, want none", got)
	}
}
