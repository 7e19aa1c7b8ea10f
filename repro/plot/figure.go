package plot

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/untied-ml/untied/repro/result"
)

// Size and resolution of every figure: 6×4 in, so 900×600 pixels in PNG.
const (
	width  = 6 * vg.Inch
	height = 4 * vg.Inch
	dpi    = 150
)

// figure is a plot with its legend drawn in a column to the right of the
// axes, where it never hides a line.
type figure struct {
	p      *gplot.Plot
	legend gplot.Legend
}

func newFigure(title, xlabel, ylabel string) *figure {
	p := gplot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 0xe0}
	g.Horizontal.Color = color.Gray{Y: 0xe0}
	p.Add(g)
	l := gplot.NewLegend()
	l.Top, l.Left = true, true
	l.TextStyle.Font.Size = vg.Points(10)
	l.ThumbnailWidth = vg.Points(24)
	return &figure{p: p, legend: l}
}

// addLine adds a rule's line (with its glyphs if points) and its legend entry.
func (f *figure) addLine(rule string, xys plotter.XYs, points bool) error {
	return f.addSeries(ruleName(rule), StyleOf(rule), xys, points)
}

// addSeries is addLine of a line with a legend entry and style of its own
// (a rule's line on the v2 models, say).
func (f *figure) addSeries(label string, s Style, xys plotter.XYs, points bool) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.LineStyle = s.line()
	f.p.Add(l)
	if !points && len(xys) > 1 {
		f.legend.Add(label, l)
		return nil
	}
	sc, err := plotter.NewScatter(xys)
	if err != nil {
		return err
	}
	sc.GlyphStyle = s.glyph()
	f.p.Add(sc)
	f.legend.Add(label, l, sc)
	return nil
}

// hline draws y = v across the whole width of the axes, whatever their
// range, in the given style; it takes no part in the axes' range.
func (f *figure) hline(v float64, ls draw.LineStyle) *plotter.Function {
	fn := plotter.NewFunction(func(float64) float64 { return v })
	fn.Samples = 2
	fn.LineStyle = ls
	f.p.Add(fn)
	return fn
}

// finite reports whether v is a number other than ±Inf.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func (f *figure) draw(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	pad := vg.Points(6)
	r := f.legend.Rectangle(c)
	lw := r.Max.X - r.Min.X + 2*pad
	f.p.Draw(draw.Crop(c, 0, -lw, 0, 0))
	// Align the legend's top with the top of the axes, below the title.
	top := f.p.Title.TextStyle.Height(f.p.Title.Text) + f.p.Title.Padding + pad
	f.legend.Draw(draw.Crop(c, c.Max.X-c.Min.X-lw+pad, -pad, 0, -top))
}

// write renders f as dir/base.png and dir/base.svg.
func (f *figure) write(dir, base string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	png := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))
	svg := vgsvg.New(width, height)
	for _, out := range []struct {
		ext string
		c   vg.CanvasSizer
		w   io.WriterTo
	}{
		{"png", png, vgimg.PngCanvas{Canvas: png}},
		{"svg", svg, svg},
	} {
		f.draw(draw.New(out.c))
		var b bytes.Buffer
		if _, err := out.w.WriteTo(&b); err != nil {
			return fmt.Errorf("plot: rendering %s.%s: %w", base, out.ext, err)
		}
		if err := result.WriteFile(filepath.Join(dir, base+"."+out.ext), b.Bytes()); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
	}
	return nil
}

// fileName keeps the parts of a file name to letters, digits, '.', '-'
// and '_', so a model or site name cannot reach outside dir.
func fileName(parts ...string) string {
	for i, p := range parts {
		parts[i] = strings.Map(func(r rune) rune {
			switch {
			case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '.', r == '-', r == '_':
				return r
			}
			return '_'
		}, p)
	}
	return strings.Join(parts, "-")
}
