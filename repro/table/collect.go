package table

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/untied-ml/untied/repro/result"
)

// Key identifies a row: a rule on a model and a data set under one
// setting.
type Key struct {
	Rule, Model, Data string
	NoiseSite         string  // "" without noise
	NoiseVar          float64 // 0 without noise
}

// Row is the aggregate of the finished runs of one Key (one per seed).
type Row struct {
	Key
	Seeds int
	// Diverged counts the seeds whose run diverged (result.json's
	// "diverged"); the statistics leave them out, and are NaN when every
	// seed diverged. DivergedStep is the earliest step one diverged at.
	Diverged, DivergedStep int
	Top1, Top5             Stat // percent
	Angle                  Stat // final mean weight angle, degrees
	AlignScale             float64
	TauFrac                float64 // the alignment time scale as a fraction of the run; 0 if none
	// LR is the highest base learning rate its seeds ran at, LRHalved
	// how many times a sweep halved it after a divergence, and
	// HalvedSeeds how many seeds ran at a rate a sweep halved: when that
	// is some seeds but not all, LR is the others' (the searched) rate.
	LR          float64
	LRHalved    int
	HalvedSeeds int
	// Alignment is the rule's alignment loss as its first run recorded
	// it: coefficients before the scale, the loss's input, centring; ""
	// for rules that do not train B.
	Alignment string
	Results   []*result.Record
}

// Stat is a mean and a sample standard deviation (0 for one value), NaN
// for no values.
type Stat struct{ Mean, Std float64 }

func stat(v []float64) Stat {
	if len(v) == 0 {
		return Stat{math.NaN(), math.NaN()}
	}
	var s Stat
	for _, x := range v {
		s.Mean += x / float64(len(v))
	}
	if len(v) > 1 {
		var ss float64
		for _, x := range v {
			ss += (x - s.Mean) * (x - s.Mean)
		}
		s.Std = math.Sqrt(ss / float64(len(v)-1))
	}
	return s
}

// Collect reads every finished result.json under dir and aggregates them
// into rows, sorted by model, then rule in the order given (others after,
// by name), then setting. Unfinished results are counted in skipped.
func Collect(dir string, ruleOrder []string) (rows []Row, skipped int, err error) {
	var paths []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "result.json" {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("table: %w", err)
	}
	return CollectFiles(paths, ruleOrder)
}

// CollectFiles is Collect of the given result.json files: those of an
// experiment's cells, when its runs share a directory with another's.
// Missing files are left out, unfinished ones counted in skipped.
func CollectFiles(paths []string, ruleOrder []string) (rows []Row, skipped int, err error) {
	byKey := map[Key][]*result.Record{}
	for _, path := range paths {
		r, err := result.Read(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("table: %w", err)
		}
		if !r.Finished {
			skipped++
			continue
		}
		k := Key{Rule: cmp.Or(r.Config.Variant, r.Config.Rule), Model: r.Config.Model, Data: r.Config.Data}
		if r.Config.NoiseVar > 0 {
			k.NoiseSite, k.NoiseVar = r.Config.NoiseSite, r.Config.NoiseVar
		}
		byKey[k] = append(byKey[k], r)
	}
	for k, rs := range byKey {
		var t1, t5, a []float64
		row := Row{Key: k, Seeds: len(rs), AlignScale: rs[0].Config.AlignScale, Alignment: alignment(rs[0].Config), Results: rs}
		for _, r := range rs {
			if r.Config.LR > row.LR {
				row.LR, row.LRHalved = r.Config.LR, r.Config.LRHalved
			}
			if r.Config.LRHalved > 0 {
				row.HalvedSeeds++
			}
			if r.Diverged != "" {
				row.Diverged++
				if row.DivergedStep == 0 || r.Steps < row.DivergedStep {
					row.DivergedStep = r.Steps
				}
				continue // a diverged run has no accuracy to average
			}
			t1, t5, a = append(t1, r.TestTop1), append(t5, r.TestTop5), append(a, r.MeanWeightAngle)
		}
		row.Top1, row.Top5, row.Angle = stat(t1), stat(t5), stat(a)
		// τ as a fraction of the run's steps, from a run that went the
		// whole way (a diverged one stopped early).
		if i := slices.IndexFunc(rs, func(r *result.Record) bool { return r.Diverged == "" }); i >= 0 {
			if tau := rs[i].Config.AlignTau; tau > 0 && rs[i].Steps > 0 {
				row.TauFrac = tau / float64(rs[i].Steps)
			}
		}
		rows = append(rows, row)
	}
	rank := func(rule string) int {
		if i := slices.Index(ruleOrder, rule); i >= 0 {
			return i
		}
		return len(ruleOrder)
	}
	slices.SortFunc(rows, func(a, b Row) int {
		if c := strings.Compare(a.Model, b.Model); c != 0 {
			return c
		}
		if c := strings.Compare(a.Data, b.Data); c != 0 {
			return c
		}
		if c := rank(a.Rule) - rank(b.Rule); c != 0 {
			return c
		}
		if c := strings.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		if c := strings.Compare(a.NoiseSite, b.NoiseSite); c != 0 {
			return c
		}
		return cmp.Compare(a.NoiseVar, b.NoiseVar)
	})
	return rows, skipped, nil
}

// alignment describes the alignment loss a run used, e.g.
// "decay=0.001,amp=0.001 on noise (normal σ=1)", "sparse=0.001,amp=0.002
// on the data, 16 a step".
func alignment(c result.Config) string {
	if c.AlignTerms == "" {
		return ""
	}
	in := "the data"
	switch a := c.AlignInput; {
	case strings.HasPrefix(a, "data"): // "data" or "data, 16 a step"
		in += strings.TrimPrefix(a, "data")
	case a != "":
		in = "noise (" + a + ")"
	}
	if c.AlignCenter {
		in += ", centred"
	}
	return c.AlignTerms + " on " + in
}

// bpRow finds the backprop row for the same model, data set and setting,
// falling back to the noiseless one (backprop has no B for noise at site
// b).
func bpRow(rows []Row, k Key) (Row, bool) {
	for _, want := range []Key{{Rule: "bp", Model: k.Model, Data: k.Data, NoiseSite: k.NoiseSite, NoiseVar: k.NoiseVar}, {Rule: "bp", Model: k.Model, Data: k.Data}} {
		for _, r := range rows {
			if r.Key == want {
				return r, true
			}
		}
	}
	return Row{}, false
}
