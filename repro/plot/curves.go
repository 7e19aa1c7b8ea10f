package plot

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot/plotter"

	"github.com/untied-ml/untied/repro/result"
	"github.com/untied-ml/untied/repro/table"
)

// Curves writes, for each model of an accuracy experiment, the test top-1
// per epoch (dir/<name>-<model>-accuracy.{png,svg}) and the mean angle
// between W and B per epoch (dir/<name>-<model>-angle.{png,svg}), one line
// per rule: the mean over the row's seeds at each epoch.
//
// Only noiseless rows are drawn (NoiseCurves draws the others). Rows whose
// results hold fewer than two epochs are skipped (a one-epoch run is a dot:
// Bars and StepCurves draw it), and so is a model with none left. A
// rule whose angle is 0 at every epoch (bp, whose error travels through W
// itself) has no line in the angle figure, which is not written if no rule
// has one. No rows write nothing.
func Curves(dir, name string, rows []table.Row) error {
	for _, model := range models(rows) {
		acc := newFigure(fmt.Sprintf("%s: %s, test accuracy", name, model), "epoch", "test top-1 (%)")
		ang := newFigure(fmt.Sprintf("%s: %s, alignment of B with W", name, model), "epoch", "mean angle(W, B) (°)")
		var nacc, nang int
		for _, r := range byRule(rows, model) {
			if r.NoiseVar != 0 {
				continue
			}
			top1 := perEpoch(r.Results, func(e result.Epoch) float64 { return e.TestTop1 })
			if len(top1) < 2 {
				continue // one epoch is a dot, not a curve: Bars and StepCurves draw such runs
			}
			if err := acc.addLine(r.Rule, top1, false); err != nil {
				return fmt.Errorf("plot: %s %s %s: %w", name, model, r.Rule, err)
			}
			nacc++
			angle := perEpoch(r.Results, func(e result.Epoch) float64 { return e.WeightAngle })
			if !slices.ContainsFunc(angle, func(p plotter.XY) bool { return p.Y != 0 }) {
				continue
			}
			if err := ang.addLine(r.Rule, angle, false); err != nil {
				return fmt.Errorf("plot: %s %s %s: %w", name, model, r.Rule, err)
			}
			nang++
		}
		if nacc > 0 {
			if err := acc.write(dir, fileName(name, model, "accuracy")); err != nil {
				return err
			}
		}
		if nang > 0 {
			if err := ang.write(dir, fileName(name, model, "angle")); err != nil {
				return err
			}
		}
	}
	return nil
}

// perEpoch is the mean over results of f at each epoch any of them
// reached, in order of epoch; non-finite values are left out.
func perEpoch(rs []*result.Record, f func(result.Epoch) float64) plotter.XYs {
	type acc struct {
		sum float64
		n   int
	}
	sums := map[int]*acc{}
	var epochs []int
	for _, r := range rs {
		if r == nil {
			continue
		}
		for _, e := range r.Epochs {
			v := f(e)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			a := sums[e.Epoch]
			if a == nil {
				a = &acc{}
				sums[e.Epoch] = a
				epochs = append(epochs, e.Epoch)
			}
			a.sum += v
			a.n++
		}
	}
	slices.Sort(epochs)
	xys := make(plotter.XYs, len(epochs))
	for i, e := range epochs {
		xys[i] = plotter.XY{X: float64(e), Y: sums[e].sum / float64(sums[e].n)}
	}
	return xys
}

// models lists the models of rows, sorted.
func models(rows []table.Row) []string {
	var ms []string
	for _, r := range rows {
		if !slices.Contains(ms, r.Model) {
			ms = append(ms, r.Model)
		}
	}
	slices.Sort(ms)
	return ms
}

// byRule returns the rows of one model ordered by rule (ruleOrder, then
// name), then site and variance, whatever order they came in.
func byRule(rows []table.Row, model string) []table.Row {
	var out []table.Row
	for _, r := range rows {
		if r.Model == model {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b table.Row) int {
		if c := compareRules(a.Rule, b.Rule); c != 0 {
			return c
		}
		if a.NoiseSite != b.NoiseSite {
			if a.NoiseSite < b.NoiseSite {
				return -1
			}
			return 1
		}
		switch {
		case a.NoiseVar < b.NoiseVar:
			return -1
		case a.NoiseVar > b.NoiseVar:
			return 1
		}
		return 0
	})
	return out
}
