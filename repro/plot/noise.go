package plot

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/untied-ml/untied/repro/table"
)

// siteNames say where the noise goes, for titles.
var siteNames = map[string]string{"b": "noise on B only", "all": "noise on every weight"}

// NoiseCurves writes, for each model of the noise experiment and each
// noise site present (b, all), the final test top-1 against the variance of
// the update noise, one line per rule, to dir/<name>-<model>-<site>.{png,svg}.
// Points of more than one seed carry error bars of ± one standard deviation.
//
// The x axis is logarithmic, so the noiseless run (variance 0) is drawn
// as the first point of each line, one decade below the smallest variance
// of the figure, at a tick labelled "0"; the other ticks are the variances
// measured. A rule with only its noiseless run shows one point there.
// No rows, or no noisy rows, write nothing.
func NoiseCurves(dir, name string, rows []table.Row) error {
	for _, model := range models(rows) {
		mrows := byRule(rows, model)
		var sites []string
		for _, r := range mrows {
			if r.NoiseVar > 0 && !slices.Contains(sites, r.NoiseSite) {
				sites = append(sites, r.NoiseSite)
			}
		}
		slices.Sort(sites)
		for _, site := range sites {
			if err := noiseFigure(dir, name, model, site, mrows); err != nil {
				return err
			}
		}
	}
	return nil
}

func noiseFigure(dir, name, model, site string, rows []table.Row) error {
	var vars []float64
	for _, r := range rows {
		if r.NoiseSite == site && r.NoiseVar > 0 && !slices.Contains(vars, r.NoiseVar) {
			vars = append(vars, r.NoiseVar)
		}
	}
	slices.Sort(vars)
	// x is log10 of the variance on a linear axis (plot.LogScale centres
	// the axis label at the linear midpoint of the range, far to the right).
	zero := math.Floor(math.Log10(vars[0])) - 1

	where := siteNames[site]
	if where == "" {
		where = "noise at " + site
	}
	f := newFigure(fmt.Sprintf("%s: %s, %s", name, model, where),
		"variance of the update noise (log scale; 0 = noiseless)", "test top-1 (%)")
	f.p.X.Tick.Marker = gplot.TickerFunc(func(min, max float64) []gplot.Tick {
		ticks := []gplot.Tick{{Value: zero, Label: "0"}}
		for _, v := range vars {
			ticks = append(ticks, gplot.Tick{Value: math.Log10(v), Label: varLabel(v)})
		}
		return ticks
	})

	var rules []string
	for _, r := range rows {
		if (r.NoiseVar == 0 || r.NoiseSite == site) && !slices.Contains(rules, r.Rule) {
			rules = append(rules, r.Rule) // rows are in rule order
		}
	}
	for _, rule := range rules {
		var line plotter.XYs
		var bars errXYs // the points of more than one seed
		for _, r := range rows {
			if r.Rule != rule || (r.NoiseVar != 0 && r.NoiseSite != site) {
				continue
			}
			if math.IsNaN(r.Top1.Mean) || math.IsInf(r.Top1.Mean, 0) {
				continue
			}
			x := zero
			if r.NoiseVar > 0 {
				x = math.Log10(r.NoiseVar)
			}
			p := plotter.XY{X: x, Y: r.Top1.Mean}
			line = append(line, p)
			if sd := r.Top1.Std; r.Seeds > 1 && sd > 0 && !math.IsInf(sd, 0) {
				bars.XYs = append(bars.XYs, p)
				bars.YErrors = append(bars.YErrors, struct{ Low, High float64 }{sd, sd})
			}
		}
		if len(line) == 0 {
			continue
		}
		if err := f.addLine(rule, line, true); err != nil {
			return fmt.Errorf("plot: %s %s %s %s: %w", name, model, site, rule, err)
		}
		if len(bars.XYs) > 0 {
			eb, err := plotter.NewYErrorBars(bars)
			if err != nil {
				return fmt.Errorf("plot: %s %s %s %s: %w", name, model, site, rule, err)
			}
			eb.LineStyle = StyleOf(rule).line()
			eb.LineStyle.Dashes = nil
			eb.LineStyle.Width /= 1.5
			f.p.Add(eb)
		}
	}
	return f.write(dir, fileName(name, model, site))
}

// errXYs are points with their y errors, for plotter.NewYErrorBars.
type errXYs struct {
	plotter.XYs
	plotter.YErrors
}

// varLabel prints a variance in short exponent form: 1e-4, 2.5e-3.
func varLabel(v float64) string {
	s := strconv.FormatFloat(v, 'e', -1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	n, _ := strconv.Atoi(exp)
	return mant + "e" + strconv.Itoa(n)
}
