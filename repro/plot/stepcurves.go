package plot

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/untied-ml/untied/repro/result"
	"github.com/untied-ml/untied/repro/table"
)

// StepCurves writes, for each model, the learning curves the runs
// recorded (result.Record.Curve: top-1 on a fixed held-out slice every few
// steps) to dir/<name>-<model>-curve.{png,svg}: one line per rule, the
// mean over its seeds at each step that every seed with a curve recorded
// (with a number), in a light band of ± one standard deviation when more
// than one seed has a curve. Finer than Curves' one point per epoch, it
// shows a one-epoch run's course too.
//
// Only noiseless rows are drawn; rules without curves have no line, and a
// model with none left no figure. No curves write nothing.
func StepCurves(dir, name string, rows []table.Row) error {
	for _, model := range models(rows) {
		type curve struct {
			rule string
			mean plotter.XYs
			std  []float64
		}
		var cs []curve
		for _, r := range byRule(rows, model) {
			if r.NoiseVar != 0 {
				continue
			}
			if mean, std := curveStats(r.Results); len(mean) > 0 {
				cs = append(cs, curve{r.Rule, mean, std})
			}
		}
		if len(cs) == 0 {
			continue
		}
		f := newFigure(fmt.Sprintf("%s: %s, learning curve", name, model), "training step", "held-out top-1 (%)")
		for _, c := range cs { // the bands first, under every line
			if band := band(c.mean, c.std, StyleOf(c.rule).Color); band != nil {
				f.p.Add(band)
			}
		}
		for _, c := range cs {
			if err := f.addLine(c.rule, c.mean, len(c.mean) == 1); err != nil {
				return fmt.Errorf("plot: %s %s %s curve: %w", name, model, c.rule, err)
			}
		}
		if err := f.write(dir, fileName(name, model, "curve")); err != nil {
			return err
		}
	}
	return nil
}

// curveStats is the mean and sample standard deviation (nil with one
// curve) of Top1 over the results that have a curve, at each step all of
// them recorded with a finite Top1, in order of step.
func curveStats(rs []*result.Record) (mean plotter.XYs, std []float64) {
	at := map[int][]float64{}
	n := 0
	for _, r := range bySeed(rs) { // in one order, for the same sums' bits
		if len(r.Curve) == 0 {
			continue
		}
		n++
		seen := map[int]bool{}
		for _, p := range r.Curve {
			if finite(p.Top1) && !seen[p.Step] {
				seen[p.Step] = true
				at[p.Step] = append(at[p.Step], p.Top1)
			}
		}
	}
	var steps []int
	for s, v := range at {
		if len(v) == n {
			steps = append(steps, s)
		}
	}
	slices.Sort(steps)
	for _, s := range steps {
		var m float64
		for _, v := range at[s] {
			m += v / float64(n)
		}
		mean = append(mean, plotter.XY{X: float64(s), Y: m})
		if n > 1 {
			var ss float64
			for _, v := range at[s] {
				ss += (v - m) * (v - m)
			}
			std = append(std, math.Sqrt(ss/float64(n-1)))
		}
	}
	return mean, std
}

// band is the polygon between mean − std and mean + std, filled in c at a
// fifth of its opacity, so that bands which overlap both show; nil without
// a spread to show.
func band(mean plotter.XYs, std []float64, c color.Color) *plotter.Polygon {
	if len(mean) < 2 || len(std) != len(mean) || slices.Max(std) == 0 {
		return nil
	}
	ring := make(plotter.XYs, 0, 2*len(mean))
	for i, p := range mean {
		ring = append(ring, plotter.XY{X: p.X, Y: p.Y + std[i]})
	}
	for i := len(mean) - 1; i >= 0; i-- {
		ring = append(ring, plotter.XY{X: mean[i].X, Y: mean[i].Y - std[i]})
	}
	poly, err := plotter.NewPolygon(ring)
	if err != nil {
		return nil // only for non-finite points, which curveStats leaves out
	}
	r, g, b, _ := c.RGBA()
	poly.Color = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x33}
	poly.LineStyle.Width = vg.Length(0)
	return poly
}
