package sweep

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/untied-ml/untied/core/align"
	"github.com/untied-ml/untied/repro/experiments"
	"github.com/untied-ml/untied/repro/result"
)

// Cell is one run of an experiment.
type Cell struct {
	Rule, Model, Setting string
	Seed                 uint64
	Config               result.Config // Out is the cell's own directory
	// Retries is how many times a run of the cell that diverges is run
	// again at half the rate (the experiment's diverged_retries).
	Retries int
}

// ID names the cell within its experiment and profile, as a relative path.
func (c Cell) ID() string {
	setting := c.Setting
	if setting == "" {
		setting = "default"
	}
	return filepath.Join(c.Model, c.Rule, filepath.FromSlash(setting), fmt.Sprintf("seed%d", c.Seed))
}

// profile is a profile's fields: the rules, models and seeds it runs (nil = the
// experiment's) and the result.Config fields it sets.
type profile struct {
	Rules  []string
	Models []string
	Seeds  []uint64
	// Trials and Generation are a search's budget per rule and the
	// trials proposed at once, Startup its random trials before TPE,
	// Stratified whether those cover the space as a Latin hypercube
	// (experiments of kind "tune").
	Trials, Generation, Startup int
	Stratified                  bool
	// TunedFrom is the profile whose searches' settings the cells take
	// (the experiment's Tuned path with it as {profile}); "" = this one.
	// The 100-epoch profile takes the quick search's, as a search at 100
	// epochs would cost tens of times the table.
	TunedFrom string
	Config    result.Config
}

// lists returns the rules, models and seeds the profile runs: its own
// where it names them, else the experiment's.
func (p profile) lists(e *experiments.Experiment) (rules, models []string, seeds []uint64) {
	rules, models, seeds = e.Rules, e.Models, e.Seeds
	if p.Rules != nil {
		rules = p.Rules
	}
	if p.Models != nil {
		models = p.Models
	}
	if p.Seeds != nil {
		seeds = p.Seeds
	}
	return rules, models, seeds
}

func parseProfile(e *experiments.Experiment, name string, base result.Config) (profile, error) {
	raw, ok := e.Profiles[name]
	if !ok {
		return profile{}, fmt.Errorf("sweep: experiment %s has no profile %q (it has %v)", e.Name, name, e.ProfileNames())
	}
	var p profile
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return p, fmt.Errorf("sweep: %s profile %s: %w", e.Name, name, err)
	}
	for key, dst := range map[string]any{"rules": &p.Rules, "models": &p.Models, "seeds": &p.Seeds, "trials": &p.Trials, "generation": &p.Generation, "startup": &p.Startup, "stratified": &p.Stratified, "tuned_from": &p.TunedFrom} {
		if r, ok := fields[key]; ok {
			if err := json.Unmarshal(r, dst); err != nil {
				return p, fmt.Errorf("sweep: %s profile %s: %s: %w", e.Name, name, key, err)
			}
			delete(fields, key)
		}
	}
	for what, names := range map[string][]string{"rules": p.Rules, "models": p.Models} {
		if err := experiments.CheckNames(what, names); err != nil {
			return p, fmt.Errorf("sweep: %s profile %s: %s: %w", e.Name, name, what, err)
		}
	}
	seeds := map[uint64]bool{}
	for _, s := range p.Seeds {
		if seeds[s] {
			return p, fmt.Errorf("sweep: %s profile %s: seeds: distinct seeds (%d twice)", e.Name, name, s)
		}
		seeds[s] = true
	}
	rest, _ := json.Marshal(fields)
	p.Config = base
	if err := strictOverlay(rest, &p.Config); err != nil {
		return p, fmt.Errorf("sweep: %s profile %s: %w", e.Name, name, err)
	}
	return p, nil
}

// strictOverlay sets the fields of cfg that b names, rejecting unknown
// names (a typo in an experiment file must not pass silently).
func strictOverlay(b []byte, cfg *result.Config) error {
	if len(b) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(cfg)
}

// Cells expands experiment e under a profile into its cells, in a fixed
// order (model, rule, setting, seed), each with its directory under root.
// Cells that do not apply (update noise on B for a rule that does not
// train B) are left out.
func Cells(e *experiments.Experiment, profileName, root string) ([]Cell, error) {
	p, err := parseProfile(e, profileName, result.Defaults())
	if err != nil {
		return nil, err
	}
	rules, models, seeds := p.lists(e)
	if e.Kind == "tune" {
		return trialCells(e, p, profileName, root, models, rules, seeds)
	}
	var cells []Cell
	for _, m := range models {
		for _, r := range rules {
			for _, s := range settingsOf(e) {
				for _, seed := range seeds {
					cfg := p.Config
					cfg.Model, cfg.Rule, cfg.Seed = m, r, seed
					if v, ok := e.Variants[r]; ok {
						if err := variant(&cfg, r, v); err != nil {
							return nil, fmt.Errorf("sweep: %s variant %q: %w", e.Name, r, err)
						}
					}
					if err := strictOverlay(s.Config, &cfg); err != nil {
						return nil, fmt.Errorf("sweep: %s setting %q: %w", e.Name, s.Name, err)
					}
					if e.Tuned != "" {
						k := SearchKey{Model: m, Rule: r, Setting: s.Name}
						if err := applyTuned(&cfg, e.TunedPath(cmp.Or(p.TunedFrom, profileName), k.Name())); err != nil {
							return nil, fmt.Errorf("sweep: %s cell %s: %w", e.Name, k, err)
						}
					}
					if !applies(cfg) {
						continue
					}
					c, err := place(Cell{Rule: r, Model: m, Setting: s.Name, Seed: seed, Retries: e.DivergedRetries}, cfg, e, root, profileName)
					if err != nil {
						return nil, err
					}
					cells = append(cells, c)
				}
			}
		}
	}
	return cells, nil
}

// TunedFrom is the profile whose searches' settings the cells of profile
// name take: its tuned_from, or name itself.
func TunedFrom(e *experiments.Experiment, name string) (string, error) {
	p, err := parseProfile(e, name, result.Defaults())
	if err != nil {
		return "", err
	}
	return cmp.Or(p.TunedFrom, name), nil
}

// settingsOf returns e's settings, or one plain setting without any.
func settingsOf(e *experiments.Experiment) []experiments.Setting {
	if len(e.Settings) == 0 {
		return []experiments.Setting{{}}
	}
	return e.Settings
}

// applyTuned applies the tuned setting at path (a search's best.json) to
// cfg, whose rule it must be of.
func applyTuned(cfg *result.Config, path string) error {
	t, err := ReadTuned(path)
	if err != nil {
		return err
	}
	if t.Rule != cfg.Rule {
		return fmt.Errorf("%s tuned rule %q, the cell runs %q", path, t.Rule, cfg.Rule)
	}
	return t.Apply(cfg)
}

// place gives cell c its configuration and its directory under root,
// and checks the configuration.
func place(c Cell, cfg result.Config, e *experiments.Experiment, root, profileName string) (Cell, error) {
	cfg.Out = filepath.Join(root, e.RunsName(), profileName, c.ID())
	c.Config = cfg
	if err := cfg.Validate(); err != nil {
		return c, fmt.Errorf("sweep: %s cell %s: %w", e.Name, c.ID(), err)
	}
	return c, nil
}

// variant sets cfg up as the variant v of a preset named name: its rule,
// the fields of its tuned setting, then its own fields.
func variant(cfg *result.Config, name string, v experiments.Variant) error {
	cfg.Rule, cfg.Variant = v.Rule, name
	if v.Tuned != "" {
		if err := applyTuned(cfg, v.Tuned); err != nil {
			return err
		}
	}
	return strictOverlay(v.Config, cfg)
}

// Tuned is the setting a metaparameter search chose for a rule (untied
// tune's best.json): the result.Config fields of its best trial and what it
// scored.
type Tuned struct {
	Experiment string          `json:"experiment"`
	Profile    string          `json:"profile"`
	Rule       string          `json:"rule"`
	Model      string          `json:"model"`
	Setting    string          `json:"setting,omitempty"`
	Trial      int             `json:"trial"`    // 0-based index of the best trial
	Trials     int             `json:"trials"`   // trials finished when it was written
	ValTop1    float64         `json:"val_top1"` // the objective, percent on the validation split
	Config     json.RawMessage `json:"config"`   // result.Config fields over the profile's
}

// Apply sets cfg up with the tuned setting: its rule, then its fields
// (which override cfg's).
func (t *Tuned) Apply(cfg *result.Config) error {
	cfg.Rule = t.Rule
	if err := strictOverlay(t.Config, cfg); err != nil {
		return fmt.Errorf("tuned setting of %s: config: %w", t.Rule, err)
	}
	return nil
}

// ReadTuned reads a tuned setting, naming the file in every error. A
// relative path not found from the working directory is looked up from the
// repository's root (the nearest directory above with a go.mod), so the
// built-in experiments' paths work from any package's tests too.
func ReadTuned(path string) (*Tuned, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !filepath.IsAbs(path) {
		if root, ok := moduleRoot(); ok {
			if b2, err2 := os.ReadFile(filepath.Join(root, path)); err2 == nil {
				b, err = b2, nil
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("tuned setting: %w (untied tune writes it: make repro-tune)", err)
	}
	var t Tuned
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("tuned setting %s: %w", path, err)
	}
	if t.Rule == "" || len(t.Config) == 0 {
		return nil, fmt.Errorf("tuned setting %s: fields \"rule\" and \"config\": want a rule and its result.Config fields", path)
	}
	return &t, nil
}

// moduleRoot is the nearest directory at or above the working directory
// that holds a go.mod.
func moduleRoot() (string, bool) {
	dir, err := os.Getwd()
	for err == nil {
		if _, serr := os.Stat(filepath.Join(dir, "go.mod")); serr == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", false
}

// applies reports whether a cell's configuration is meaningful: update
// noise on B only exists for rules that train B.
func applies(cfg result.Config) bool {
	if cfg.NoiseVar == 0 || cfg.NoiseSite != "b" {
		return true
	}
	spec, err := align.Preset(cfg.Rule)
	return err != nil || spec.TrainB // an unknown rule fails Validate later
}

// Slice returns the i-th of n near-equal slices of cells (1 ≤ i ≤ n),
// taking every n-th cell so each slice mixes cheap and costly cells.
func Slice(cells []Cell, i, n int) ([]Cell, error) {
	if n < 1 || i < 1 || i > n {
		return nil, fmt.Errorf("sweep: -cells %d/%d: want i/n with 1 ≤ i ≤ n", i, n)
	}
	var out []Cell
	for k := i - 1; k < len(cells); k += n {
		out = append(out, cells[k])
	}
	return out, nil
}

// Select returns the cells of the given rules and seeds (nil: any), to run
// a part of a sweep, e.g. the 100-epoch profile of a few rules. A rule or
// seed no cell has is an error naming it and the ones there are.
func Select(cells []Cell, rules []string, seeds []uint64) ([]Cell, error) {
	hasRule, hasSeed := map[string]bool{}, map[uint64]bool{}
	var ruleNames []string
	var seedList []uint64
	for _, c := range cells {
		if !hasRule[c.Rule] {
			hasRule[c.Rule] = true
			ruleNames = append(ruleNames, c.Rule)
		}
		if !hasSeed[c.Seed] {
			hasSeed[c.Seed] = true
			seedList = append(seedList, c.Seed)
		}
	}
	for _, r := range rules {
		if !hasRule[r] {
			return nil, fmt.Errorf("sweep: -rules: no cell runs rule %q (the rules are %v)", r, ruleNames)
		}
	}
	for _, s := range seeds {
		if !hasSeed[s] {
			return nil, fmt.Errorf("sweep: -seeds: no cell runs seed %d (the seeds are %v)", s, seedList)
		}
	}
	var out []Cell
	for _, c := range cells {
		if (rules == nil || slices.Contains(rules, c.Rule)) && (seeds == nil || slices.Contains(seeds, c.Seed)) {
			out = append(out, c)
		}
	}
	return out, nil
}
