package table

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/untied-ml/untied/repro/experiments"
	"github.com/untied-ml/untied/repro/result"
)

func TestModelDepth(t *testing.T) {
	for _, c := range []struct {
		model     string
		depth     int
		v2, valid bool
	}{
		{"resnet18", 18, false, true}, {"resnet152v2", 152, true, true}, {"resnet101", 101, false, true},
		{"lenet", 0, false, false}, {"resnet", 0, false, false}, {"resnetv2", 0, false, false},
		{"resnet-18", 0, false, false}, {"resnet+18", 0, false, false}, {"resnet0", 0, false, false},
		{"resnet50v3", 0, false, false}, {"resnet50v2v2", 0, false, false}, {"ResNet18", 0, false, false},
	} {
		d, v2, ok := ModelDepth(c.model)
		if d != c.depth || v2 != c.v2 || ok != c.valid {
			t.Errorf("ModelDepth(%q) = %v, %v, %v, want %v, %v, %v", c.model, d, v2, ok, c.depth, c.v2, c.valid)
		}
	}
}

func TestCompareModels(t *testing.T) {
	ms := []string{"lenet", "resnet152v2", "resnet50", "resnet101", "resnet50v2", "resnet18", "alexnet"}
	slices.SortFunc(ms, compareModels)
	if want := []string{"resnet18", "resnet50", "resnet101", "resnet50v2", "resnet152v2", "alexnet", "lenet"}; !slices.Equal(ms, want) {
		t.Errorf("models sorted = %v, want %v", ms, want)
	}
}

func TestSlope(t *testing.T) {
	if s, ok := slope([]float64{4, 5, 6}, []float64{-1, -1.5, -3}); !ok || math.Abs(s+1) > 1e-12 {
		t.Errorf("slope = %v, %v, want -1, true", s, ok)
	}
	if s, ok := slope([]float64{4, 4}, []float64{1, 2}); ok {
		t.Errorf("slope of one x = %v, %v, want not ok", s, ok)
	}
}

// depthRow is a noiseless row of one seed per top-1 value, aggregated as
// Collect does.
func depthRow(rule, model string, top1 ...float64) Row {
	var rs []*result.Record
	for i, v := range top1 {
		r := record(rule, model, uint64(i+1), v, 0, true)
		r.WallSeconds = 60
		rs = append(rs, &r)
	}
	return Row{Key: Key{Rule: rule, Model: model}, Seeds: len(top1), Top1: stat(top1), Results: rs}
}

// TestDepthTable: depths 16, 32 and 64 are one doubling apart, so the
// slopes are easy by hand. ia's gaps -1, -1.5, -3 at log₂ depth 4, 5, 6
// have slope ((4−5)(−1+11/6) + (6−5)(−3+11/6)) / 2 = −1; sa's −1 and +1 at
// 4 and 6 slope +1; fa has one depth, so no slope. The v2 model and lenet
// (no depth) have columns of their own, after the v1 ones, and no part in
// the slopes.
func TestDepthTable(t *testing.T) {
	fa := depthRow("fa", "resnet16", 70)
	fa.Diverged, fa.DivergedStep, fa.Top1 = 1, 40, Stat{math.NaN(), math.NaN()} // as Collect leaves a row whose every seed diverged
	rows := []Row{
		depthRow("ia", "lenet", 80), depthRow("bp", "lenet", 90),
		depthRow("ia", "resnet16", 89), depthRow("sa", "resnet16", 89), fa, depthRow("bp", "resnet16", 90),
		depthRow("ia", "resnet32", 88.5), depthRow("bp", "resnet32", 90),
		depthRow("bp", "resnet64", 90), depthRow("sa", "resnet64", 91), depthRow("ia", "resnet64", 87),
		depthRow("ia", "resnet18v2", 85, 87), depthRow("bp", "resnet18v2", 90),
	}
	noisy := depthRow("ia", "resnet16", 10)
	noisy.NoiseSite, noisy.NoiseVar = "b", 1e-3
	rows = append(rows, noisy) // left out
	out := t.TempDir()
	e := &experiments.Experiment{Name: "depth", Title: "t", Kind: "depth", Rules: []string{"bp", "sa", "ia"},
		Claims: map[string]string{"ia": "its gap widens with depth"}}
	if err := Depth(out, Header{Experiment: e, Profile: "quick"}, rows); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, "depth.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| rule | ResNet-16 | ResNet-32 | ResNet-64 | ResNet-18 v2 | lenet | the paper's claim |\n|---|---|---|---|---|---|---|\n",
		"| bp | 90.00 | 90.00 | 90.00 | 90.00 | 90.00 |  |\n| sa |",
		"| sa | 89.00 (-1.00) | – | 91.00 (+1.00) | – | – |  |\n| ia |",
		"| ia | 89.00 (-1.00) | 88.50 (-1.50) | 87.00 (-3.00) | 86.00 ± 1.41 (-4.00) | 80.00 (-10.00) | its gap widens with depth |\n| fa |",
		"| fa | diverged (step 40) | – | – | – | – |  |\n",
		"- sa: gap -1.00 → +1.00 from ResNet-16 to ResNet-64, slope +1.00 points per doubling of depth: the gap narrows with depth.\n",
		"- ia: gap -1.00 → -3.00 from ResNet-16 to ResNet-64, slope -1.00 points per doubling of depth: the gap widens with depth.\n",
		"- fa: no slope, a gap to backprop on fewer than two v1 depths.\n",
		"14 runs, 14.0 minutes",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("depth.md lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(string(md), "- bp:") {
		t.Errorf("depth.md has a slope for bp:\n%s", md)
	}
	csv, err := os.ReadFile(filepath.Join(out, "depth.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if want := "rule,model,depth,top1,top1_std,gap_to_bp,seeds,diverged"; lines[0] != want {
		t.Errorf("depth.csv header %q, want %q", lines[0], want)
	}
	if len(lines) != 1+13 {
		t.Errorf("depth.csv has %d lines, want a header and 13 (the noisy row left out):\n%s", len(lines), csv)
	}
	for _, want := range []string{"bp,resnet16,16,90.00,0.00,0.00,1,0", "ia,resnet18v2,18,86.00,1.41,-4.00,2,0", "ia,lenet,,80.00,0.00,-10.00,1,0", "fa,resnet16,16,,,,1,1"} {
		if !slices.Contains(lines, want) {
			t.Errorf("depth.csv lacks line %q:\n%s", want, csv)
		}
	}
}
