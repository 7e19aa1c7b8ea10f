package plot

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/untied-ml/untied/repro/table"
)

// Bars writes, for each model, the final test top-1 of each rule as a bar
// to dir/<name>-<model>-top1.{png,svg}: one bar per rule in rule order (bp
// first), as high as the row's mean over seeds (the table's number), each
// seed's own top-1 a dot on its bar, so the spread shows, and backprop's
// mean a dashed line across the axes ("BP" in the legend).
//
// The y axis does not start at 0 when every value is high: the accuracies
// of an experiment often lie within a few points of each other near the
// top, where bars from 0 would all look alike. It runs from a tenth of the
// values' range (at least one point) below the lowest mean or seed to as
// much above the highest; it starts at 0 only when the lowest value is
// below half the highest, where cutting would gain little. So bars are to
// be read against the axis, not compared by length.
//
// A row with diverged seeds draws the dots of the others only (a diverged
// run has no accuracy: the bar is the mean of the other seeds, as the
// table's is), and says so in its label, e.g. "FA (1 of 3 diverged)"; a row
// whose every seed diverged keeps its place and label, with no bar. Only
// noiseless rows are drawn; no such rows write nothing.
func Bars(dir, name string, rows []table.Row) error {
	for _, model := range models(rows) {
		var rs []table.Row
		for _, r := range byRule(rows, model) {
			if r.NoiseVar == 0 && (finite(r.Top1.Mean) || len(seedTop1(r)) > 0 || r.Diverged > 0) {
				rs = append(rs, r)
			}
		}
		if len(rs) == 0 {
			continue
		}
		if err := barFigure(dir, name, model, rs); err != nil {
			return err
		}
	}
	return nil
}

func barFigure(dir, name, model string, rows []table.Row) error {
	f := newFigure(fmt.Sprintf("%s: %s, final test top-1", name, model), "", "test top-1 (%)")
	rotate := len(rows) > 5
	var labels []string
	var values []float64
	var dots []*plotter.Scatter
	bp := math.NaN()
	for i, r := range rows {
		s := StyleOf(r.Rule)
		label := ruleName(r.Rule)
		if r.Diverged > 0 {
			sep := "\n"
			if rotate {
				sep = " "
			}
			label += fmt.Sprintf("%s(%d of %d diverged)", sep, r.Diverged, r.Seeds)
		}
		labels = append(labels, label)
		if finite(r.Top1.Mean) {
			f.p.Add(&bar{x: float64(i), y: r.Top1.Mean, fill: tint(s.Color), line: draw.LineStyle{Color: s.Color, Width: vg.Points(1)}})
			values = append(values, r.Top1.Mean)
			if r.Rule == "bp" {
				bp = r.Top1.Mean
			}
		}
		seeds := seedTop1(r)
		if len(seeds) == 0 {
			continue
		}
		values = append(values, seeds...)
		sc, err := plotter.NewScatter(spread(float64(i), seeds))
		if err != nil {
			return fmt.Errorf("plot: %s %s top-1 bars, %s: %w", name, model, r.Rule, err)
		}
		sc.GlyphStyle = s.glyph()
		sc.GlyphStyle.Radius = vg.Points(3)
		dots = append(dots, sc)
	}
	if finite(bp) {
		line := f.hline(bp, draw.LineStyle{Color: color.Black, Width: vg.Points(1), Dashes: dashed})
		f.legend.Add(ruleName("bp"), line)
	}
	for _, d := range dots {
		f.p.Add(d) // over the bars and the line
	}
	f.p.NominalX(labels...)
	if rotate {
		f.p.X.Tick.Label.Rotation = math.Pi / 4
		f.p.X.Tick.Label.XAlign, f.p.X.Tick.Label.YAlign = draw.XRight, draw.YTop
	}
	f.p.X.Min, f.p.X.Max = -0.5, float64(len(rows))-0.5
	f.p.Y.Min, f.p.Y.Max = 0, 100 // every row diverged
	if len(values) > 0 {
		f.p.Y.Min, f.p.Y.Max = yRange(slices.Min(values), slices.Max(values))
	}
	return f.write(dir, fileName(name, model, "top1"))
}

// yRange is the y axis of values from lo to hi (Bars, Trials): a tenth of
// their range, at least 1, beyond each, from 0 if lo is below half of hi.
func yRange(lo, hi float64) (ymin, ymax float64) {
	pad := math.Max((hi-lo)/10, 1)
	ymin, ymax = lo-pad, hi+pad
	if lo < hi/2 || ymin < 0 {
		ymin = 0
	}
	return ymin, ymax
}

// seedTop1 is the final top-1 of each of a row's seeds that did not
// diverge and scored a number, in order of seed.
func seedTop1(r table.Row) []float64 {
	var v []float64
	for _, res := range bySeed(r.Results) {
		if res.Diverged == "" && finite(res.TestTop1) {
			v = append(v, res.TestTop1)
		}
	}
	return v
}

// spread places the values ys side by side across the middle of the bar
// at x, so that equal values do not hide each other.
func spread(x float64, ys []float64) plotter.XYs {
	step := math.Min(0.12, 0.6/float64(len(ys)))
	xys := make(plotter.XYs, len(ys))
	for i, y := range ys {
		xys[i] = plotter.XY{X: x + (float64(i)-float64(len(ys)-1)/2)*step, Y: y}
	}
	return xys
}

// tint is c a quarter as strong over white: a bar's fill, light enough
// for the dots on it to show.
func tint(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(v uint32) uint8 { return uint8(0xff - (0xff-v>>8)/4) }
	return color.RGBA{R: mix(r), G: mix(g), B: mix(b), A: 0xff}
}

// bar is one bar of Bars, a data unit wide less a gap, from the bottom of
// the y axis (not 0; see Bars) to y. Unlike plotter.BarChart's, its range
// does not reach down to 0.
type bar struct {
	x, y float64
	fill color.Color
	line draw.LineStyle
}

const barWidth = 0.7 // in data units: one per bar

func (b *bar) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, trY := p.Transforms(&c)
	x0, x1 := trX(b.x-barWidth/2), trX(b.x+barWidth/2)
	y0, y1 := trY(p.Y.Min), trY(b.y)
	pts := []vg.Point{{X: x0, Y: y0}, {X: x0, Y: y1}, {X: x1, Y: y1}, {X: x1, Y: y0}}
	c.FillPolygon(b.fill, c.ClipPolygonXY(pts))
	c.StrokeLines(b.line, c.ClipLinesXY(append(pts, pts[0]))...)
}

func (b *bar) DataRange() (xmin, xmax, ymin, ymax float64) {
	return b.x - 0.5, b.x + 0.5, b.y, b.y
}
