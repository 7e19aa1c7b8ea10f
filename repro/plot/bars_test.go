package plot

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/untied-ml/untied/repro/result"
	"github.com/untied-ml/untied/repro/table"
)

// seeded is a one-epoch run of seed s scoring top1, with a learning curve
// of top-1 rising by rise every 10 steps from 10 (none if points is 0).
func seeded(rule, model string, s uint64, top1 float64, points int, rise float64) *result.Record {
	r := record(rule, model, 1, top1, 0, 0)
	r.Config.Seed = s
	for i := range points {
		r.Curve = append(r.Curve, result.CurvePoint{Step: 10 * (i + 1), Top1: 10 + rise*float64(i+1)})
	}
	return r
}

// seedRows are three seeds of bp, fa (one diverged) and wm-tuned on
// resnet18, bp alone on resnet50, fa alone on vgg (no BP line), and a
// noisy row Bars leaves out.
func seedRows() []table.Row {
	fa := []*result.Record{seeded("fa", "resnet18", 1, 80, 4, 5), seeded("fa", "resnet18", 2, 10, 4, 1), seeded("fa", "resnet18", 3, 84, 4, 6)}
	fa[1].Diverged = "step 40"
	faRow := row("", 0, fa...)
	faRow.Diverged = 1
	return []table.Row{
		faRow,
		row("", 0, seeded("wm-tuned", "resnet18", 2, 91, 3, 7), seeded("wm-tuned", "resnet18", 1, 92, 3, 8)),
		row("", 0, seeded("bp", "resnet18", 1, 93, 4, 8), seeded("bp", "resnet18", 2, 94, 4, 8), seeded("bp", "resnet18", 3, 92, 4, 8)),
		row("", 0, seeded("bp", "resnet50", 1, 90, 0, 0)),
		row("", 0, seeded("fa", "vgg", 1, 70, 0, 0)),
		row("b", 1e-3, seeded("sa", "lenet", 1, 50, 2, 1)),
	}
}

func TestBars(t *testing.T) {
	dir := t.TempDir()
	if err := Bars(dir, "table1", seedRows()); err != nil {
		t.Fatalf("Bars: %v", err)
	}
	checkDir(t, dir, []string{"table1-resnet18-top1", "table1-resnet50-top1", "table1-vgg-top1"})
	svg, err := os.ReadFile(filepath.Join(dir, "table1-resnet18-top1.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{">BP<", ">FA<", "(1 of 3 diverged)", ">WM (tuned)<", "test top-1 (%)"} {
		if !bytes.Contains(svg, []byte(s)) {
			t.Errorf("Bars SVG has no %q", s)
		}
	}
}

// TestBarsAllDiverged: a row whose every seed diverged keeps its label,
// beside the others and alone.
func TestBarsAllDiverged(t *testing.T) {
	aa := seeded("aa", "resnet18", 1, 0, 0, 0)
	aa.Diverged = "step 3"
	aaRow := row("", 0, aa)
	aaRow.Diverged = 1
	for _, rows := range [][]table.Row{{aaRow, seedRows()[2]}, {aaRow}} {
		dir := t.TempDir()
		if err := Bars(dir, "t", rows); err != nil {
			t.Fatalf("Bars: %v", err)
		}
		svg, err := os.ReadFile(filepath.Join(dir, "t-resnet18-top1.svg"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(svg, []byte("(1 of 1 diverged)")) {
			t.Errorf("%d rows: no label for the all-diverged AA row", len(rows))
		}
	}
}

func TestBarsEmpty(t *testing.T) {
	noisy := []table.Row{row("b", 1e-3, seeded("sa", "m", 1, 50, 0, 0))}
	for _, rows := range [][]table.Row{nil, {}, noisy} {
		dir := filepath.Join(t.TempDir(), "figs")
		if err := Bars(dir, "x", rows); err != nil {
			t.Errorf("Bars(%d rows) = %v, want nil", len(rows), err)
		}
		if err := StepCurves(dir, "x", rows); err != nil {
			t.Errorf("StepCurves(%d rows) = %v, want nil", len(rows), err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%d rows without a noiseless one created %s (Stat: %v)", len(rows), dir, err)
		}
	}
}

func TestSeedTop1(t *testing.T) {
	r := seedRows()[0] // fa: seeds 1, 2 (diverged), 3
	slices.Reverse(r.Results)
	if got, want := seedTop1(r), []float64{80, 84}; !slices.Equal(got, want) {
		t.Errorf("seedTop1(fa) = %v, want %v", got, want)
	}
}

func TestYRange(t *testing.T) {
	for _, c := range []struct{ lo, hi, min, max float64 }{
		{90, 94, 89, 95},   // close and high: a point beyond each
		{60, 90, 57, 93},   // a tenth of the range beyond each
		{10, 90, 0, 98},    // lo under half of hi: from 0
		{0.5, 0.5, 0, 1.5}, // would go below 0
	} {
		min, max := yRange(c.lo, c.hi)
		if math.Abs(min-c.min) > 1e-12 || math.Abs(max-c.max) > 1e-12 {
			t.Errorf("yRange(%v, %v) = %v, %v, want %v, %v", c.lo, c.hi, min, max, c.min, c.max)
		}
	}
}

func TestStepCurves(t *testing.T) {
	dir := t.TempDir()
	if err := StepCurves(dir, "table1", seedRows()); err != nil {
		t.Fatalf("StepCurves: %v", err)
	}
	// resnet50's bp and vgg's fa have no curve; lenet's row is noisy.
	checkDir(t, dir, []string{"table1-resnet18-curve"})
	svg, err := os.ReadFile(filepath.Join(dir, "table1-resnet18-curve.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"BP", "FA", "WM (tuned)", "training step", "held-out top-1 (%)"} {
		if !bytes.Contains(svg, []byte(s)) {
			t.Errorf("StepCurves SVG has no %q", s)
		}
	}
}

func TestCurveStats(t *testing.T) {
	a := seeded("fa", "m", 1, 0, 4, 2) // steps 10..40: 12, 14, 16, 18
	b := seeded("fa", "m", 2, 0, 3, 4) // steps 10..30: 14, 18, 22
	b.Curve[1].Top1 = math.NaN()       // step 20 is then not in every curve
	none := seeded("fa", "m", 3, 0, 0, 0)
	mean, std := curveStats([]*result.Record{a, none, b, nil})
	want := []struct{ x, y, sd float64 }{{10, 13, math.Sqrt2}, {30, 19, 3 * math.Sqrt2}}
	if len(mean) != len(want) || len(std) != len(want) {
		t.Fatalf("curveStats = %v, %v, want %v", mean, std, want)
	}
	for i, w := range want {
		if mean[i].X != w.x || math.Abs(mean[i].Y-w.y) > 1e-12 || math.Abs(std[i]-w.sd) > 1e-12 {
			t.Errorf("curveStats[%d] = %v ± %v, want %v", i, mean[i], std[i], w)
		}
	}
	if mean, std := curveStats([]*result.Record{a}); len(mean) != 4 || std != nil {
		t.Errorf("curveStats(one curve) = %v, %v, want 4 points and no std", mean, std)
	}
}

func TestVariantStyles(t *testing.T) {
	for _, c := range []struct{ rule, name string }{
		{"wm-tuned", "WM (tuned)"}, {"ia-data", "IA (data)"}, {"wm", "WM"}, {"x-tuned", "x-tuned"}, {"wm-", "wm-"},
	} {
		if got := ruleName(c.rule); got != c.name {
			t.Errorf("ruleName(%q) = %q, want %q", c.rule, got, c.name)
		}
	}
	wm, tuned, data := StyleOf("wm"), StyleOf("wm-tuned"), StyleOf("wm-data")
	if tuned.Color != wm.Color || data.Color != wm.Color {
		t.Errorf("StyleOf(wm-tuned, wm-data) colours = %v, %v, want wm's %v", tuned.Color, data.Color, wm.Color)
	}
	if slices.Equal(tuned.Dash, wm.Dash) || tuned.Shape == wm.Shape || slices.Equal(data.Dash, tuned.Dash) || data.Shape == tuned.Shape {
		t.Errorf("wm, wm-tuned and wm-data are not told apart by dash and glyph: %v, %v, %v", wm, tuned, data)
	}
	rules := []string{"wm-tuned", "ia", "bp", "wm", "zz", "wm-data"}
	slices.SortFunc(rules, compareRules)
	if want := []string{"bp", "wm", "wm-data", "wm-tuned", "ia", "zz"}; !slices.Equal(rules, want) {
		t.Errorf("rules sorted = %v, want %v", rules, want)
	}
}

// TestNewFiguresDeterministic: Bars, StepCurves and Depth give the same
// bytes whatever the order of the rows and of their results.
func TestNewFiguresDeterministic(t *testing.T) {
	render := func(reverse bool) string {
		dir := t.TempDir()
		seeds, depth := seedRows(), depthRows()
		if reverse {
			for _, rows := range [][]table.Row{seeds, depth} {
				slices.Reverse(rows)
				for _, r := range rows {
					slices.Reverse(r.Results)
				}
			}
		}
		for _, f := range []func(string, string, []table.Row) error{Bars, StepCurves} {
			if err := f(dir, "x", seeds); err != nil {
				t.Fatal(err)
			}
		}
		if err := Depth(dir, "x", depth); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	a, b := render(false), render(true)
	entries, err := os.ReadDir(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		x, _ := os.ReadFile(filepath.Join(a, e.Name()))
		y, err := os.ReadFile(filepath.Join(b, e.Name()))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between rows in order and reversed (%v)", e.Name(), err)
		}
	}
}
