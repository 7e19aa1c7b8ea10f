package plot

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/untied-ml/untied/repro/result"
	"github.com/untied-ml/untied/repro/table"
)

// Depth writes the gap to backprop against depth to dir/<name>-gap.{png,svg}:
// for each rule but backprop and each model with a backprop row, the
// rule's mean top-1 less backprop's, one line per rule through the v1
// ResNets and another ("IA (v2)", in dots) through the v2 ones, with a line
// at 0 (no gap). The depth is read from the model's name
// (table.ModelDepth); other models are left out.
//
// The x axis is log₂ of the depth, ticked at the depths measured: 18, 34,
// 50, 101 and 152 roughly double from one to the next, so they fall about
// evenly (a linear axis would crowd 18–50 into a quarter of it), and a
// straight line is a constant change per doubling, the slope table.Depth
// prints. The lines are moved a little to either side of each tick (at most
// a tenth of a doubling), so that points at one depth do not hide each
// other's error bars.
//
// Error bars are ± the standard deviation of the gap: over the per-seed
// gaps when the rule and backprop ran the same seeds, else the rule's own
// over its seeds; none for one seed. Only noiseless rows are drawn;
// nothing is written without a gap to draw.
func Depth(dir, name string, rows []table.Row) error {
	type series struct {
		rule string
		v2   bool
	}
	type point struct {
		depth    int
		gap, err float64
	}
	pts := map[series][]point{}
	var all []series
	var depths []int
	for _, r := range rows {
		d, v2, ok := table.ModelDepth(r.Model)
		if !ok || r.Rule == "bp" || r.NoiseVar != 0 {
			continue
		}
		i := slices.IndexFunc(rows, func(b table.Row) bool { return b.Rule == "bp" && b.Model == r.Model && b.NoiseVar == 0 })
		if i < 0 || !finite(r.Top1.Mean-rows[i].Top1.Mean) {
			continue
		}
		s := series{r.Rule, v2}
		if _, seen := pts[s]; !seen {
			all = append(all, s)
		}
		pts[s] = append(pts[s], point{d, r.Top1.Mean - rows[i].Top1.Mean, gapStd(r, rows[i])})
		if !slices.Contains(depths, d) {
			depths = append(depths, d)
		}
	}
	if len(all) == 0 {
		return nil
	}
	slices.SortFunc(all, func(a, b series) int {
		if c := compareRules(a.rule, b.rule); c != 0 {
			return c
		}
		if a.v2 != b.v2 {
			if b.v2 {
				return -1
			}
			return 1
		}
		return 0
	})
	slices.Sort(depths)

	f := newFigure(fmt.Sprintf("%s: gap to backprop against depth", name), "depth (layers, log scale)", "top-1 − BP top-1 (points)")
	f.hline(0, draw.LineStyle{Color: color.Black, Width: vg.Points(0.75)})
	f.p.X.Tick.Marker = gplot.TickerFunc(func(min, max float64) []gplot.Tick {
		var ticks []gplot.Tick
		for _, d := range depths {
			ticks = append(ticks, gplot.Tick{Value: math.Log2(float64(d)), Label: strconv.Itoa(d)})
		}
		return ticks
	})
	step := math.Min(0.05, 0.2/float64(len(all)))
	for j, s := range all {
		ps := pts[s]
		slices.SortFunc(ps, func(a, b point) int { return cmp.Compare(a.depth, b.depth) })
		dx := (float64(j) - float64(len(all)-1)/2) * step
		var line plotter.XYs
		var bars errXYs
		for _, p := range ps {
			xy := plotter.XY{X: math.Log2(float64(p.depth)) + dx, Y: p.gap}
			line = append(line, xy)
			if p.err > 0 && finite(p.err) {
				bars.XYs = append(bars.XYs, xy)
				bars.YErrors = append(bars.YErrors, struct{ Low, High float64 }{p.err, p.err})
			}
		}
		style, label := StyleOf(s.rule), ruleName(s.rule)
		if s.v2 { // dotted, or dash-dotted for a rule dotted already
			style.Dash, label = dotted, label+" (v2)"
			if slices.Equal(StyleOf(s.rule).Dash, dotted) {
				style.Dash = dashDot
			}
		}
		if err := f.addSeries(label, style, line, true); err != nil {
			return fmt.Errorf("plot: %s gap %s: %w", name, label, err)
		}
		if len(bars.XYs) > 0 {
			eb, err := plotter.NewYErrorBars(bars)
			if err != nil {
				return fmt.Errorf("plot: %s gap %s: %w", name, label, err)
			}
			eb.LineStyle = style.line()
			eb.LineStyle.Dashes = nil
			eb.LineStyle.Width /= 1.5
			f.p.Add(eb)
		}
	}
	lo, hi := math.Log2(float64(depths[0])), math.Log2(float64(depths[len(depths)-1]))
	f.p.X.Min, f.p.X.Max = lo-0.3, hi+0.3
	return f.write(dir, fileName(name, "gap"))
}

// gapStd is the standard deviation of a rule's gap to backprop: that of
// the per-seed gaps when both rows ran the same seeds (the i-th of each
// in order of seed the same, all finite), else the rule's own.
func gapStd(r, bp table.Row) float64 {
	a, b := bySeed(r.Results), bySeed(bp.Results)
	if len(a) < 2 || len(a) != len(b) {
		return r.Top1.Std
	}
	gaps := make([]float64, len(a))
	var mean float64
	for i := range a {
		gaps[i] = a[i].TestTop1 - b[i].TestTop1
		if a[i].Config.Seed != b[i].Config.Seed || !finite(gaps[i]) {
			return r.Top1.Std
		}
		mean += gaps[i] / float64(len(a))
	}
	var ss float64
	for _, g := range gaps {
		ss += (g - mean) * (g - mean)
	}
	return math.Sqrt(ss / float64(len(a)-1))
}

// bySeed is rs without nils, in order of seed.
func bySeed(rs []*result.Record) []*result.Record {
	rs = slices.DeleteFunc(slices.Clone(rs), func(r *result.Record) bool { return r == nil })
	slices.SortStableFunc(rs, func(a, b *result.Record) int { return cmp.Compare(a.Config.Seed, b.Config.Seed) })
	return rs
}
