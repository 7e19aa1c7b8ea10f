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
)

// TrialPoint is one trial of a metaparameter search: its index in the
// search, its objective (validation top-1, %, higher is better), and
// whether it failed (diverged, or scored nothing).
type TrialPoint struct {
	Index     int
	Objective float64
	Failed    bool
}

// Trials writes a metaparameter search's course to dir/<file>.{png,svg}:
// each trial's objective against its index as a dot, failed trials (and
// any whose objective is not a number) as red crosses along the bottom of
// the axes, and the best objective so far as a step line, which shows how
// soon the search found its setting and whether more trials still paid.
// The y axis is Bars' (see yRange): it starts near the trials' lowest
// score when they all score high. No trials write nothing.
func Trials(dir, file, title string, trials []TrialPoint) error {
	if len(trials) == 0 {
		return nil
	}
	var done, failed plotter.XYs
	for _, t := range trials {
		if t.Failed || !finite(t.Objective) {
			failed = append(failed, plotter.XY{X: float64(t.Index)})
		} else {
			done = append(done, plotter.XY{X: float64(t.Index), Y: t.Objective})
		}
	}
	f := newFigure(title, "trial", "validation top-1 (%)")
	ymin, ymax := 0.0, 100.0
	if len(done) > 0 {
		ys := make([]float64, len(done))
		for i, p := range done {
			ys[i] = p.Y
		}
		ymin, ymax = yRange(slices.Min(ys), slices.Max(ys))
	}
	if best := bestSoFar(trials); len(best) > 0 {
		l, err := plotter.NewLine(best)
		if err != nil {
			return fmt.Errorf("plot: %s: %w", file, err)
		}
		l.StepStyle = plotter.PostStep
		l.LineStyle = draw.LineStyle{Color: rgb(0x1f77b4), Width: vg.Points(1.5)}
		f.p.Add(l)
		f.legend.Add("best so far", l)
	}
	if len(done) > 0 {
		sc, err := plotter.NewScatter(done)
		if err != nil {
			return fmt.Errorf("plot: %s: %w", file, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
		f.p.Add(sc)
		f.legend.Add("trial", sc)
	}
	if len(failed) > 0 {
		for i := range failed {
			failed[i].Y = ymin
		}
		sc, err := plotter.NewScatter(failed)
		if err != nil {
			return fmt.Errorf("plot: %s: %w", file, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: rgb(0xd62728), Radius: vg.Points(3), Shape: draw.CrossGlyph{}}
		f.p.Add(sc)
		f.legend.Add("failed", sc)
	}
	f.p.Y.Min, f.p.Y.Max = ymin, ymax
	lo := slices.MinFunc(trials, func(a, b TrialPoint) int { return cmp.Compare(a.Index, b.Index) }).Index
	hi := slices.MaxFunc(trials, func(a, b TrialPoint) int { return cmp.Compare(a.Index, b.Index) }).Index
	pad := math.Max(float64(hi-lo)/40, 0.5)
	f.p.X.Min, f.p.X.Max = float64(lo)-pad, float64(hi)+pad
	f.p.X.Tick.Marker = gplot.TickerFunc(intTicks)
	return f.write(dir, fileName(file))
}

// intTicks are gonum's default ticks with whole numbers as labels ("25",
// not "25.00"); labelled ticks between whole numbers lose their labels.
func intTicks(min, max float64) []gplot.Tick {
	ticks := gplot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label == "" {
			continue
		}
		ticks[i].Label = ""
		if t.Value == math.Trunc(t.Value) {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'f', 0, 64)
		}
	}
	return ticks
}

// bestSoFar is the best objective of the trials up to each index, in order
// of index, from the first trial that scored to the last trial (failed
// ones carry the best before them): the step line of Trials.
func bestSoFar(trials []TrialPoint) plotter.XYs {
	ts := slices.Clone(trials)
	slices.SortStableFunc(ts, func(a, b TrialPoint) int { return cmp.Compare(a.Index, b.Index) })
	var xys plotter.XYs
	best := math.Inf(-1)
	for _, t := range ts {
		if !t.Failed && finite(t.Objective) {
			best = math.Max(best, t.Objective)
		}
		if finite(best) {
			xys = append(xys, plotter.XY{X: float64(t.Index), Y: best})
		}
	}
	return xys
}
