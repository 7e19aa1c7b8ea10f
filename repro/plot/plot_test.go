package plot

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/untied-ml/untied/repro/result"
	"github.com/untied-ml/untied/repro/table"
)

// result is a hand-made finished run: top-1 rising from start by step per
// epoch, the angle falling from 90 by fall per epoch.
func record(rule, model string, epochs int, start, step, fall float64) *result.Record {
	r := &result.Record{Finished: true}
	r.Config.Rule, r.Config.Model = rule, model
	for e := 1; e <= epochs; e++ {
		ep := result.Epoch{Epoch: e, TestTop1: start + step*float64(e), TestTop5: 99, TrainLoss: 1 / float64(e)}
		if rule != "bp" {
			ep.WeightAngle = 90 - fall*float64(e)
		}
		r.Epochs = append(r.Epochs, ep)
	}
	if epochs > 0 {
		last := r.Epochs[epochs-1]
		r.TestTop1, r.TestTop5, r.MeanWeightAngle = last.TestTop1, last.TestTop5, last.WeightAngle
	}
	return r
}

// row aggregates results the way table.Collect does (mean and sample std
// of the final top-1).
func row(site string, noiseVar float64, rs ...*result.Record) table.Row {
	k := table.Key{Rule: rs[0].Config.Rule, Model: rs[0].Config.Model, NoiseSite: site, NoiseVar: noiseVar}
	var sum, ss float64
	for _, r := range rs {
		sum += r.TestTop1
	}
	mean := sum / float64(len(rs))
	for _, r := range rs {
		ss += (r.TestTop1 - mean) * (r.TestTop1 - mean)
	}
	std := 0.0
	if len(rs) > 1 {
		std = math.Sqrt(ss / float64(len(rs)-1))
	}
	return table.Row{Key: k, Seeds: len(rs), Top1: table.Stat{Mean: mean, Std: std}, Results: rs}
}

func accuracyRows() []table.Row {
	return []table.Row{
		// Out of order on purpose: the figures order rules themselves.
		row("", 0, record("sa", "resnet18", 4, 50, 9, 15), record("sa", "resnet18", 4, 52, 8, 14)),
		row("", 0, record("bp", "resnet18", 4, 55, 9, 0)),
		row("", 0, record("fa", "resnet18", 4, 30, 5, 2), record("fa", "resnet18", 3, 31, 5, 3)),
		row("", 0, record("myrule", "resnet18", 4, 40, 6, 5)),
		row("", 0, record("wm", "resnet18", 0, 0, 0, 0)), // no epochs: skipped
		row("", 0, record("bp", "resnet50", 2, 40, 20, 0)),
		row("", 0, record("dfa", "resnet50", 1, 20, 1, 1)), // a single epoch
		row("", 0, record("ia", "lenet", 0, 0, 0, 0)),      // a model with no epochs at all
	}
}

func noiseRows() []table.Row {
	var rows []table.Row
	for j, rule := range []string{"sa", "bp", "wm"} {
		rows = append(rows, row("", 0, record(rule, "resnet18", 2, 60, 10, 10), record(rule, "resnet18", 2, 61, 11, 10)))
		for i, v := range []float64{1e-4, 1e-3, 1e-2} {
			drop := float64(i) * float64(2+3*j)
			if rule != "bp" {
				rows = append(rows, row("b", v, record(rule, "resnet18", 2, 60-drop, 10, 10), record(rule, "resnet18", 2, 62-drop, 10, 10)))
			}
			rows = append(rows, row("all", v, record(rule, "resnet18", 2, 55-drop, 10, 10)))
		}
	}
	return rows
}

// checkDir checks that dir holds exactly the files of want (base names,
// each as .png and .svg), that each PNG decodes at 900×600 and each SVG
// starts as one.
func checkDir(t *testing.T, dir string, want []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got, exp []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	for _, w := range want {
		exp = append(exp, w+".png", w+".svg")
	}
	slices.Sort(exp)
	if !slices.Equal(got, exp) {
		t.Fatalf("files in %s = %v, want %v", dir, got, exp)
	}
	for _, name := range got {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			t.Errorf("%s is empty", name)
			continue
		}
		switch filepath.Ext(name) {
		case ".png":
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Errorf("png.Decode(%s): %v", name, err)
				continue
			}
			if s := img.Bounds().Size(); s.X != 900 || s.Y != 600 {
				t.Errorf("%s is %v pixels, want 900×600", name, s)
			}
		case ".svg":
			if !bytes.HasPrefix(b, []byte("<?xml")) && !bytes.HasPrefix(b, []byte("<svg")) {
				t.Errorf("%s starts with %q, want <?xml or <svg", name, b[:min(len(b), 20)])
			}
			if !bytes.Contains(b, []byte("</svg>")) {
				t.Errorf("%s has no </svg>", name)
			}
		}
	}
}

func TestCurves(t *testing.T) {
	dir := t.TempDir()
	if err := Curves(dir, "table1", accuracyRows()); err != nil {
		t.Fatalf("Curves: %v", err)
	}
	// resnet50: bp has no angle and dfa's single epoch is no curve, so
	// there is no angle figure; lenet has no epochs at all.
	checkDir(t, dir, []string{
		"table1-resnet18-accuracy", "table1-resnet18-angle",
		"table1-resnet50-accuracy",
	})
	svg, err := os.ReadFile(filepath.Join(dir, "table1-resnet18-accuracy.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"BP", "FA", "SA", "myrule", "epoch", "test top-1 (%)"} {
		if !bytes.Contains(svg, []byte(s)) {
			t.Errorf("accuracy SVG has no %q", s)
		}
	}
	if bytes.Contains(svg, []byte(">WM<")) {
		t.Errorf("accuracy SVG has a line for WM, whose row has no epochs")
	}
	svg, err = os.ReadFile(filepath.Join(dir, "table1-resnet18-angle.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(svg, []byte(">BP<")) {
		t.Errorf("angle SVG has a line for BP, whose angle is 0 throughout")
	}
	if !bytes.Contains(svg, []byte("mean angle(W, B) (°)")) {
		t.Errorf("angle SVG has no y label")
	}
}

func TestCurvesOnlyBPHasNoAngle(t *testing.T) {
	dir := t.TempDir()
	if err := Curves(dir, "x", []table.Row{row("", 0, record("bp", "m", 3, 50, 10, 0))}); err != nil {
		t.Fatalf("Curves: %v", err)
	}
	checkDir(t, dir, []string{"x-m-accuracy"})
}

func TestNoiseCurves(t *testing.T) {
	dir := t.TempDir()
	if err := NoiseCurves(dir, "noise", noiseRows()); err != nil {
		t.Fatalf("NoiseCurves: %v", err)
	}
	checkDir(t, dir, []string{"noise-resnet18-all", "noise-resnet18-b"})
	svg, err := os.ReadFile(filepath.Join(dir, "noise-resnet18-b.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{">0<", ">1e-4<", ">1e-2<", "BP", "SA", "WM", "noise on B only"} {
		if !bytes.Contains(svg, []byte(s)) {
			t.Errorf("noise SVG has no %q", s)
		}
	}
}

func TestNoiseCurvesWithoutNoise(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "figs")
	if err := NoiseCurves(dir, "x", accuracyRows()); err != nil {
		t.Fatalf("NoiseCurves: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("NoiseCurves without noisy rows created %s (Stat: %v)", dir, err)
	}
}

func TestEmpty(t *testing.T) {
	noEpochs := []table.Row{row("", 0, record("fa", "m", 0, 0, 0, 0)), row("", 0, record("sa", "n", 0, 0, 0, 0))}
	for _, rows := range [][]table.Row{nil, {}, noEpochs} {
		dir := filepath.Join(t.TempDir(), "figs")
		if err := Curves(dir, "x", rows); err != nil {
			t.Errorf("Curves(%d rows) = %v, want nil", len(rows), err)
		}
		if err := NoiseCurves(dir, "x", rows); err != nil {
			t.Errorf("NoiseCurves(%d rows) = %v, want nil", len(rows), err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%d rows without epochs created %s (Stat: %v)", len(rows), dir, err)
		}
	}
}

func TestDeterministic(t *testing.T) {
	render := func(reverse bool) string {
		dir := t.TempDir()
		acc, noise := accuracyRows(), noiseRows()
		if reverse {
			slices.Reverse(acc)
			slices.Reverse(noise)
		}
		if err := Curves(dir, "table1", acc); err != nil {
			t.Fatal(err)
		}
		if err := NoiseCurves(dir, "noise", noise); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	a, b, c := render(false), render(false), render(true)
	entries, err := os.ReadDir(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		x, err := os.ReadFile(filepath.Join(a, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, other := range []string{b, c} {
			y, err := os.ReadFile(filepath.Join(other, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(x, y) {
				t.Errorf("%s differs between two renderings of the same rows (in order: %v)", e.Name(), other == b)
			}
		}
	}
	// Rewriting over existing files gives the same bytes too.
	if err := Curves(a, "table1", accuracyRows()); err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(filepath.Join(a, "table1-resnet18-accuracy.png"))
	y, _ := os.ReadFile(filepath.Join(b, "table1-resnet18-accuracy.png"))
	if !bytes.Equal(x, y) {
		t.Errorf("rewriting table1-resnet18-accuracy.png changed it")
	}
}

func TestStyles(t *testing.T) {
	seen := map[any]string{}
	for _, rule := range ruleOrder {
		s, ok := styles[rule]
		if !ok {
			t.Errorf("rule %q of ruleOrder has no style", rule)
			continue
		}
		if prev, dup := seen[s.Color]; dup {
			t.Errorf("rules %q and %q share colour %v", prev, rule, s.Color)
		}
		seen[s.Color] = rule
	}
	a, b := StyleOf("newrule"), StyleOf("newrule")
	if a.Color != b.Color || a.Shape != b.Shape || !slices.Equal(a.Dash, b.Dash) {
		t.Errorf("StyleOf(%q) changed between calls: %v, %v", "newrule", a, b)
	}
	if slices.Equal(a.Dash, StyleOf("bp").Dash) {
		t.Errorf("a rule outside ruleOrder has bp's dashes")
	}
}

func TestVarLabel(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{1e-4, "1e-4"}, {2.5e-3, "2.5e-3"}, {0.1, "1e-1"}, {1, "1e0"}, {30, "3e1"}} {
		if got := varLabel(c.v); got != c.want {
			t.Errorf("varLabel(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestFileName(t *testing.T) {
	if got, want := fileName("noise", "res/net 18", "b"), "noise-res_net_18-b"; got != want {
		t.Errorf("fileName = %q, want %q", got, want)
	}
	if strings.ContainsRune(fileName("..", "/etc/passwd"), '/') {
		t.Errorf("fileName kept a slash")
	}
}

func TestPerEpoch(t *testing.T) {
	// Two seeds: the second stopped after 3 epochs and has a NaN at epoch 2.
	a := record("fa", "m", 4, 30, 5, 2)
	b := record("fa", "m", 3, 34, 5, 2)
	b.Epochs[1].TestTop1 = math.NaN()
	got := perEpoch([]*result.Record{a, b, nil}, func(e result.Epoch) float64 { return e.TestTop1 })
	want := []struct{ x, y float64 }{{1, 37}, {2, 40}, {3, 47}, {4, 50}}
	if len(got) != len(want) {
		t.Fatalf("perEpoch = %v, want %v", got, want)
	}
	for i, w := range want {
		if got[i].X != w.x || math.Abs(got[i].Y-w.y) > 1e-12 {
			t.Errorf("perEpoch[%d] = %v, want %v", i, got[i], w)
		}
	}
}
