package experiments

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
)

//go:embed *.json
var files embed.FS

// Experiment is a sweep defined as data.
type Experiment struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// Kind says how its table is laid out: "accuracy" (a row per rule and
	// model), "error" (top-1 error, a row per rule, a column per data set,
	// as BioTorch prints its benchmark), "noise" (a row per rule, a column per noise setting), "depth"
	// (a row per rule, a column per model, with the gap to backprop against
	// depth), or "tune" (a metaparameter search: untied tune).
	Kind     string    `json:"kind"`
	Rules    []string  `json:"rules"`
	Models   []string  `json:"models"`
	Seeds    []uint64  `json:"seeds"`
	Settings []Setting `json:"settings,omitempty"` // none means one plain setting
	// Variants are rows that are not presets: a name to list in Rules
	// (and a profile's rules), run as a preset with fields of its own.
	Variants map[string]Variant `json:"variants,omitempty"`
	// Runs names the experiment whose run directories this one's cells
	// share ("" = its own): a cell of the same configuration is then one
	// run, made once for both (the depth and transfer tables reuse table
	// 1's runs of ResNet-18 and ResNet-50).
	Runs string `json:"runs,omitempty"`
	// Tuned, when set, applies to every cell the setting a search chose
	// for it (untied tune's best.json): a path from the repository's
	// root in which {profile} and {search} stand for the profile and the
	// search's name ("<model>-<rule>-<setting>"), e.g.
	// "repro/results/biotorch-lenet-lr/{profile}/{search}-best.json".
	Tuned string `json:"tuned,omitempty"`
	// DivergedRetries is how many times a cell whose run diverges is run
	// again, each time at half the learning rate of the run before, in a
	// directory of its own beside the cell's; the table reports the last
	// run and marks its rate as halved. A searched rate is the best on
	// validation, so it often lies at the edge of stability, and the
	// table's run (on the whole training set) can cross it. 0: never.
	DivergedRetries int `json:"diverged_retries,omitempty"`
	// Search holds, for an experiment of kind "tune", the metaparameter
	// search of each rule (untied tune).
	Search map[string]Search `json:"search,omitempty"`
	// Claims holds, per rule, what the paper reports for its row.
	Claims map[string]string `json:"claims"`
	// Profiles maps a profile name (smoke, quick, full, imagenet) to the
	// result.Config fields it sets over result.Defaults().
	Profiles map[string]json.RawMessage `json:"profiles"`
}

// Setting is one variation of the runs (a noise level and site, say): a
// name and the result.Config fields it sets over the profile's.
type Setting struct {
	Name   string          `json:"name"`
	Config json.RawMessage `json:"config"`
}

// Variant is a row of a table that runs a preset with result.Config fields
// over the profile's: given inline (Config), or read from a setting that
// `untied tune` chose (Tuned, a path from the repository's root, its
// best.json), or both (Config last).
type Variant struct {
	Rule   string          `json:"rule"`
	Tuned  string          `json:"tuned,omitempty"`
	Config json.RawMessage `json:"config,omitempty"`
	// Label is how tables print the row, e.g. "WM (tuned on ResNet-18)".
	Label string `json:"label,omitempty"`
}

// Search is the space a metaparameter search explores for one rule, and
// the seed of its proposals. Its budget (trials, generation) is set per
// profile.
type Search struct {
	Seed   uint64        `json:"seed"`
	Params []SearchParam `json:"params"`
}

// SearchParam is one dimension of a search: Name is a result.Config field
// (its JSON name) or "align.<primitive>", one coefficient of the rule's
// alignment loss (e.g. "align.amp", given to the run as -align amp=v).
// Kind is "log-uniform" or "uniform" over [Low, High], or "choice" among
// Values (JSON values of the field, e.g. ["wm", "wm-data"] for "rule").
type SearchParam struct {
	Name   string            `json:"name"`
	Kind   string            `json:"kind"`
	Low    float64           `json:"low,omitempty"`
	High   float64           `json:"high,omitempty"`
	Values []json.RawMessage `json:"values,omitempty"`
}

// Names lists the built-in experiments.
func Names() []string {
	entries, _ := files.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	slices.Sort(names)
	return names
}

// Load returns the built-in experiment of that name, or reads the file at
// that path if it names one (ending in .json).
func Load(nameOrPath string) (*Experiment, error) {
	var (
		b    []byte
		err  error
		from = nameOrPath
	)
	if strings.HasSuffix(nameOrPath, ".json") {
		b, err = os.ReadFile(nameOrPath)
	} else {
		from = path.Join("repro/experiments", nameOrPath+".json")
		b, err = files.ReadFile(nameOrPath + ".json")
		if err != nil {
			return nil, fmt.Errorf("experiments: unknown experiment %q (built in: %s; or give a path to a .json file)", nameOrPath, strings.Join(Names(), ", "))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("experiments: %w", err)
	}
	return Parse(b, from)
}

// Parse decodes an experiment, rejecting unknown fields, and checks it.
func Parse(b []byte, from string) (*Experiment, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var e Experiment
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("experiments: %s: %w", from, err)
	}
	bad := func(field, want string) error {
		return fmt.Errorf("experiments: %s: field %q: want %s", from, field, want)
	}
	switch {
	case e.Name == "":
		return nil, bad("name", "a non-empty name")
	case !slices.Contains([]string{"accuracy", "error", "noise", "depth", "tune"}, e.Kind):
		return nil, bad("kind", `"accuracy", "error", "noise", "depth" or "tune"`)
	case e.Tuned != "" && !strings.Contains(e.Tuned, "{search}"):
		return nil, bad("tuned", `a path with {search} (and {profile}) in it`)
	case e.DivergedRetries < 0 || e.DivergedRetries > 0 && e.Kind == "tune":
		return nil, bad("diverged_retries", "a count >= 0, and 0 for a search (a diverged trial is a result)")
	case e.Kind == "tune" && len(e.Search) == 0:
		return nil, bad("search", "a search space per rule for kind \"tune\"")
	case len(e.Rules) == 0:
		return nil, bad("rules", "at least one rule")
	case len(e.Models) == 0:
		return nil, bad("models", "at least one model")
	case len(e.Seeds) == 0:
		return nil, bad("seeds", "at least one seed")
	case len(e.Profiles) == 0:
		return nil, bad("profiles", "at least one profile")
	}
	for name, v := range e.Variants {
		if v.Rule == "" || v.Rule == name {
			return nil, bad("variants."+name+".rule", "the preset it varies, other than its own name")
		}
	}
	if e.Kind == "tune" {
		for _, r := range e.Rules {
			if _, ok := e.Search[r]; !ok {
				return nil, bad("search."+r, "the search space of rule "+r)
			}
		}
	}
	// Names become directories of runs and files of tables: each must be
	// one path element (a setting may nest several with "/"), so nothing
	// lands outside -runs or -results.
	if err := CheckName(e.Name); err != nil {
		return nil, bad("name", err.Error())
	}
	if e.Runs != "" {
		if err := CheckName(e.Runs); err != nil {
			return nil, bad("runs", err.Error())
		}
	}
	if err := CheckNames("rules", e.Rules); err != nil {
		return nil, bad("rules", err.Error())
	}
	if err := CheckNames("models", e.Models); err != nil {
		return nil, bad("models", err.Error())
	}
	if d := firstDuplicate(e.Seeds); d != nil {
		return nil, bad("seeds", fmt.Sprintf("distinct seeds (%d twice)", *d))
	}
	var settings []string
	for _, s := range e.Settings {
		for _, part := range strings.Split(s.Name, "/") {
			if err := CheckName(part); err != nil {
				return nil, bad("settings", fmt.Sprintf("names of path elements joined by /: %q: %v", s.Name, err))
			}
		}
		settings = append(settings, s.Name)
	}
	if d := firstDuplicate(settings); d != nil {
		return nil, bad("settings", fmt.Sprintf("distinct names (%q twice)", *d))
	}
	for name := range e.Variants {
		if err := CheckName(name); err != nil {
			return nil, bad("variants", err.Error())
		}
	}
	for name := range e.Profiles {
		if err := CheckName(name); err != nil {
			return nil, bad("profiles", err.Error())
		}
	}
	return &e, nil
}

// CheckName reports whether name can name a directory or file of the
// harness's: one path element, not "." or "..", without separators.
func CheckName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("a name, not %q", name)
	case strings.ContainsAny(name, "/\\\x00"):
		return fmt.Errorf("a single path element, not %q", name)
	}
	return nil
}

// CheckNames checks each name with CheckName and that none repeats.
func CheckNames(what string, names []string) error {
	for _, n := range names {
		if err := CheckName(n); err != nil {
			return err
		}
	}
	if d := firstDuplicate(names); d != nil {
		return fmt.Errorf("distinct %s (%q twice)", what, *d)
	}
	return nil
}

// firstDuplicate returns the first value of v seen twice, or nil.
func firstDuplicate[T comparable](v []T) *T {
	seen := map[T]bool{}
	for i := range v {
		if seen[v[i]] {
			return &v[i]
		}
		seen[v[i]] = true
	}
	return nil
}

// RunsName is the name of the directory its cells live in (Runs, or its
// own name).
func (e *Experiment) RunsName() string {
	if e.Runs != "" {
		return e.Runs
	}
	return e.Name
}

// ProfileNames lists the experiment's profiles.
func (e *Experiment) ProfileNames() []string {
	var names []string
	for n := range e.Profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// TunedPath is the tuned setting of search name under a profile (see
// Experiment.Tuned).
func (e *Experiment) TunedPath(profile, search string) string {
	return strings.NewReplacer("{profile}", profile, "{search}", search).Replace(e.Tuned)
}
