package sweep

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/untied-ml/untied/repro/experiments"
	"github.com/untied-ml/untied/repro/result"
	"github.com/untied-ml/untied/repro/tune"
)

// TestOverlay checks a point becomes result.Config fields: coefficients
// joined into one -align, choices as their JSON values, numbers rounded to
// four digits; and that the overlay configures a valid run.
func TestOverlay(t *testing.T) {
	s := experiments.Search{Params: []experiments.SearchParam{
		{Name: "align.amp", Kind: "log-uniform", Low: 1e-4, High: 1e-2},
		{Name: "align.null", Kind: "log-uniform", Low: 1e-4, High: 1e-2},
		{Name: "align_time_fraction", Kind: "log-uniform", Low: 1e-3, High: 0.1},
		{Name: "rule", Kind: "choice", Values: []json.RawMessage{[]byte(`"ia"`), []byte(`"ia-data"`)}},
	}}
	if _, err := Space(s); err != nil {
		t.Fatal(err)
	}
	got, err := Overlay(s, tune.Point{0.0021234567, 0.001, 0.0123456, 1})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"align":"amp=0.002123,null=0.001","align_time_fraction":0.01235,"rule":"ia-data"}`
	if string(got) != want {
		t.Errorf("Overlay = %s, want %s", got, want)
	}
	cfg := result.Defaults()
	cfg.Rule, cfg.Out = "ia", "x"
	if err := strictOverlay(got, &cfg); err != nil || cfg.Validate() != nil {
		t.Errorf("the overlay does not configure a valid run: %v, %v", err, cfg.Validate())
	}
	if _, err := Overlay(s, tune.Point{1}); err == nil {
		t.Error("Overlay of a point of the wrong length: no error")
	}
	if _, err := Space(experiments.Search{Params: []experiments.SearchParam{{Name: "lr", Kind: "log-uniform", Low: 0, High: 1}}}); err == nil {
		t.Error("Space with a log-uniform parameter from 0: no error")
	}
}

// TestReadTrials checks trials are read in order and a gap is an error.
func TestReadTrials(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []int{0, 1} {
		if err := WriteTrial(dir, TrialFile{Index: k, Point: tune.Point{float64(k)}, Config: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	ts, err := ReadTrials(dir)
	if err != nil || len(ts) != 2 || ts[1].Point[0] != 1 {
		t.Fatalf("ReadTrials = %+v, %v; want trials 0 and 1", ts, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, TrialName(3)), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadTrials(dir); err == nil || !strings.Contains(err.Error(), "trial002") {
		t.Errorf("ReadTrials with trial002 missing = %v, want an error naming it", err)
	}
}

// TestVariantFromTuned checks a variant row runs its preset with the tuned
// setting's fields, and that a tuned setting of another rule is refused.
func TestVariantFromTuned(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "best.json")
	tuned := Tuned{Rule: "wm", Config: json.RawMessage(`{"align":"amp=0.002","align_time_fraction":0.02}`)}
	if err := result.WriteJSON(path, tuned); err != nil {
		t.Fatal(err)
	}
	cfg := result.Defaults()
	if err := variant(&cfg, "wm-tuned", experiments.Variant{Rule: "wm", Tuned: path}); err != nil {
		t.Fatal(err)
	}
	if cfg.Rule != "wm" || cfg.Variant != "wm-tuned" || cfg.Align != "amp=0.002" || cfg.AlignTime != 0.02 {
		t.Errorf("variant config rule %q variant %q align %q τ/T %v; want wm, wm-tuned, amp=0.002, 0.02", cfg.Rule, cfg.Variant, cfg.Align, cfg.AlignTime)
	}
	if err := variant(&cfg, "ia-tuned", experiments.Variant{Rule: "ia", Tuned: path}); err == nil {
		t.Error("a variant of ia from wm's tuned setting: no error")
	}
	if err := variant(&cfg, "x", experiments.Variant{Rule: "wm", Tuned: filepath.Join(dir, "none.json")}); err == nil || !strings.Contains(err.Error(), "make repro-tune") {
		t.Errorf("a missing tuned setting: error %v, want one saying how to make it", err)
	}
}

// TestCheckTrial: a trial.json whose parameters are not the search's, in
// its order, or whose values leave their ranges is an error naming the
// file and the field.
func TestCheckTrial(t *testing.T) {
	s := experiments.Search{Params: []experiments.SearchParam{
		{Name: "align.amp", Kind: "log-uniform", Low: 1e-4, High: 1e-2},
		{Name: "rule", Kind: "choice", Values: []json.RawMessage{[]byte(`"ia"`), []byte(`"ia-data"`)}},
	}}
	good := TrialFile{Params: []string{"align.amp", "rule"}, Point: tune.Point{1e-3, 1}}
	if err := CheckTrial("t.json", good, s); err != nil {
		t.Fatalf("CheckTrial(good) = %v", err)
	}
	for name, tc := range map[string]struct {
		t    TrialFile
		want string
	}{
		"reordered":    {TrialFile{Params: []string{"rule", "align.amp"}, Point: tune.Point{1, 1e-3}}, `"params"`},
		"no names":     {TrialFile{Point: tune.Point{1e-3, 1}}, `"params"`},
		"choice index": {TrialFile{Params: good.Params, Point: tune.Point{1e-3, 2}}, `"rule"`},
		"out of range": {TrialFile{Params: good.Params, Point: tune.Point{1, 0}}, `"align.amp"`},
		"short point":  {TrialFile{Params: good.Params, Point: tune.Point{1e-3}}, `"point"`},
	} {
		err := CheckTrial("t.json", tc.t, s)
		if err == nil || !strings.Contains(err.Error(), "t.json") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: CheckTrial = %v, want an error naming t.json and %s", name, err, tc.want)
		}
	}
}
