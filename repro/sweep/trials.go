package sweep

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/untied-ml/untied/repro/experiments"
	"github.com/untied-ml/untied/repro/result"
	"github.com/untied-ml/untied/repro/tune"
)

// A metaparameter search (an experiment of kind "tune") runs its trials as
// cells: trial k of a rule on a model lives in
// <runs>/<experiment>/<profile>/<model>/<rule>/trial<k>/, where trial.json
// holds the point it tries, written before it runs, and a directory per
// seed holds its runs. Cells lists the trials found there, so the cells of
// a search are the trials proposed so far, and every process of a -jobs
// search sees the same list.

// TrialFile is a trial's trial.json: its point, the names of the point's
// parameters in order, and the result.Config fields the point sets over the
// profile's.
type TrialFile struct {
	Index  int             `json:"index"`
	Params []string        `json:"params"`
	Point  tune.Point      `json:"point"`
	Config json.RawMessage `json:"config"`
}

// ParamNames lists the names of a search's parameters, in order.
func ParamNames(s experiments.Search) []string {
	names := make([]string, len(s.Params))
	for i, p := range s.Params {
		names[i] = p.Name
	}
	return names
}

// CheckTrial checks that trial t, read from path, is a point of search
// s: its parameters are s's, in s's order, and its values in their ranges.
func CheckTrial(path string, t TrialFile, s experiments.Search) error {
	space, err := Space(s)
	if err != nil {
		return err
	}
	names := ParamNames(s)
	if !slices.Equal(t.Params, names) {
		return fmt.Errorf("sweep: %s: field \"params\" %q, want the search's %q (the experiment's search changed since it was written)", path, t.Params, names)
	}
	if err := space.Check(t.Point); err != nil {
		return fmt.Errorf("sweep: %s: field \"point\": %w", path, err)
	}
	return nil
}

// TrialName names trial k's directory (and its cells' setting).
func TrialName(k int) string { return fmt.Sprintf("trial%03d", k) }

// SearchKey names one search of a tune experiment: a rule on a model,
// under one of the experiment's settings ("" for none; e.g. a data set).
type SearchKey struct{ Model, Rule, Setting string }

// Dir is the directory of the search's trials.
func (k SearchKey) Dir(root string, e *experiments.Experiment, profile string) string {
	return filepath.Join(root, e.RunsName(), profile, k.Model, k.Rule, filepath.FromSlash(k.Setting))
}

// Name names the search's output files: "<model>-<rule>", then
// "-<setting>" with a setting ("/" in it becoming "-").
func (k SearchKey) Name() string {
	name := k.Model + "-" + k.Rule
	if k.Setting != "" {
		name += "-" + strings.ReplaceAll(k.Setting, "/", "-")
	}
	return name
}

// TrialSetting is the Setting of the cells of the search's trial i.
func (k SearchKey) TrialSetting(i int) string { return path.Join(k.Setting, TrialName(i)) }

func (k SearchKey) String() string {
	if k.Setting == "" {
		return k.Rule + " on " + k.Model
	}
	return k.Rule + " on " + k.Model + " (" + k.Setting + ")"
}

// ReadTrials reads the trial.json files of a search directory in order,
// trial 0 first; a gap in the numbering is an error.
func ReadTrials(dir string) ([]TrialFile, error) {
	var trials []TrialFile
	for k := 0; ; k++ {
		path := filepath.Join(dir, TrialName(k), "trial.json")
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			if _, err := os.Stat(filepath.Join(dir, TrialName(k+1))); err == nil {
				return nil, fmt.Errorf("sweep: %s: missing, but %s exists", path, TrialName(k+1))
			}
			return trials, nil
		}
		if err != nil {
			return nil, fmt.Errorf("sweep: %w", err)
		}
		var t TrialFile
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, fmt.Errorf("sweep: %s: %w", path, err)
		}
		if t.Index != k {
			return nil, fmt.Errorf("sweep: %s: field \"index\" %d, want %d", path, t.Index, k)
		}
		trials = append(trials, t)
	}
}

// WriteTrial writes trial t's trial.json under dir.
func WriteTrial(dir string, t TrialFile) error {
	d := filepath.Join(dir, TrialName(t.Index))
	if err := os.MkdirAll(d, 0o755); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	return result.WriteJSON(filepath.Join(d, "trial.json"), t)
}

// Space returns the search space of s for package tune.
func Space(s experiments.Search) (tune.Space, error) {
	var sp tune.Space
	for _, p := range s.Params {
		tp := tune.Param{Name: p.Name, Kind: tune.Kind(p.Kind), Low: p.Low, High: p.High}
		if tp.Kind == tune.Choice {
			tp.N = len(p.Values)
		}
		sp = append(sp, tp)
	}
	if err := sp.Validate(); err != nil {
		return nil, fmt.Errorf("sweep: search: %w", err)
	}
	return sp, nil
}

// Overlay returns the result.Config fields that point p of s sets, as a JSON
// object: "align.<primitive>" parameters joined into one "align" field
// ("amp=0.002,null=0.001"), the others under their own names.
func Overlay(s experiments.Search, p tune.Point) (json.RawMessage, error) {
	if len(p) != len(s.Params) {
		return nil, fmt.Errorf("sweep: point of %d values for %d parameters", len(p), len(s.Params))
	}
	fields := map[string]json.RawMessage{}
	var terms []string
	for i, prm := range s.Params {
		v := p[i]
		if prm.Kind == string(tune.Choice) {
			fields[prm.Name] = prm.Values[int(v)]
			continue
		}
		if prim, ok := strings.CutPrefix(prm.Name, "align."); ok {
			terms = append(terms, fmt.Sprintf("%s=%.4g", prim, v))
			continue
		}
		b, err := json.Marshal(roundSig(v))
		if err != nil {
			return nil, fmt.Errorf("sweep: %s: %w", prm.Name, err)
		}
		fields[prm.Name] = b
	}
	if len(terms) > 0 {
		fields["align"], _ = json.Marshal(strings.Join(terms, ","))
	}
	return json.Marshal(fields)
}

// roundSig rounds to four significant digits, as the coefficients are
// printed: a point's setting reads the same in every file that names it.
func roundSig(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	scale := math.Pow(10, 3-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*scale) / scale
}

// trialCells returns the cells of the trials proposed so far for every
// rule, model and setting of a search experiment.
func trialCells(e *experiments.Experiment, p profile, profileName, root string, models, rules []string, seeds []uint64) ([]Cell, error) {
	var cells []Cell
	for _, m := range models {
		for _, r := range rules {
			for _, s := range settingsOf(e) {
				k := SearchKey{Model: m, Rule: r, Setting: s.Name}
				trials, err := ReadTrials(k.Dir(root, e, profileName))
				if err != nil {
					return nil, err
				}
				for _, t := range trials {
					for _, seed := range seeds {
						cfg := p.Config
						cfg.Model, cfg.Rule, cfg.Seed = m, r, seed
						if err := strictOverlay(s.Config, &cfg); err != nil {
							return nil, fmt.Errorf("sweep: %s setting %q: %w", e.Name, s.Name, err)
						}
						if err := strictOverlay(t.Config, &cfg); err != nil {
							return nil, fmt.Errorf("sweep: %s trial %d: %w", k, t.Index, err)
						}
						c, err := place(Cell{Rule: r, Model: m, Setting: k.TrialSetting(t.Index), Seed: seed}, cfg, e, root, profileName)
						if err != nil {
							return nil, err
						}
						cells = append(cells, c)
					}
				}
			}
		}
	}
	return cells, nil
}

// SearchBudget is what a search profile runs: its number of trials per
// rule and model, the size of a generation (trials proposed together, from
// the same history, and run at once), and the models and rules it
// searches. Trials and generation are fixed by the experiment, so the
// search does not depend on how many jobs run it.
type SearchBudget struct {
	Trials, Generation int
	// Startup is the number of trials drawn at random before TPE
	// proposes (0: tune.DefaultStartup), Stratified whether they are a
	// Latin hypercube (tune.Options).
	Startup       int
	Stratified    bool
	Models, Rules []string
	Settings      []string // the experiment's settings' names; one "" without
}

// Budget returns the budget of a search experiment's profile.
func Budget(e *experiments.Experiment, profileName string) (SearchBudget, error) {
	p, err := parseProfile(e, profileName, result.Defaults())
	if err != nil {
		return SearchBudget{}, err
	}
	if p.Startup < 0 {
		return SearchBudget{}, fmt.Errorf("sweep: %s profile %s: field \"startup\": want ≥ 0, have %d", e.Name, profileName, p.Startup)
	}
	if p.Trials < 1 || p.Generation < 1 {
		return SearchBudget{}, fmt.Errorf("sweep: %s profile %s: fields \"trials\" and \"generation\": want both ≥ 1, have %d and %d", e.Name, profileName, p.Trials, p.Generation)
	}
	rules, models, _ := p.lists(e)
	for _, r := range rules {
		if _, ok := e.Search[r]; !ok {
			return SearchBudget{}, fmt.Errorf("sweep: %s profile %s: rule %q has no entry in \"search\"", e.Name, profileName, r)
		}
	}
	var settings []string
	for _, s := range settingsOf(e) {
		settings = append(settings, s.Name)
	}
	return SearchBudget{Trials: p.Trials, Generation: p.Generation, Startup: p.Startup, Stratified: p.Stratified, Models: models, Rules: rules, Settings: settings}, nil
}
