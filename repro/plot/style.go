package plot

import (
	"cmp"
	"hash/fnv"
	"image/color"
	"slices"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ruleOrder fixes the order of the lines in a figure and in its legend,
// and each rule's style: bp first, the local rules, the non-local ones,
// then the sign-symmetric and direct rules. Other rules follow, by name.
var ruleOrder = []string{"bp", "fa", "wm", "ia", "sa", "aa", "kp", "usf", "brsf", "frsf", "dfa"}

// ruleNames are the names the papers print. A variant of a rule (see
// variantOf) is named after it: "wm-tuned" is "WM (tuned)".
var ruleNames = map[string]string{
	"bp": "BP", "fa": "FA", "wm": "WM", "ia": "IA", "sa": "SA", "aa": "AA", "kp": "KP",
	"usf": "uSF", "brsf": "brSF", "frsf": "frSF", "dfa": "DFA",
}

func ruleName(rule string) string {
	if n, ok := ruleNames[rule]; ok {
		return n
	}
	if base, kind, ok := variantOf(rule); ok {
		return ruleName(base) + " (" + kind + ")"
	}
	return rule
}

// variantOf splits the name of a variant row, a preset run with settings
// of its own ("wm-tuned", "ia-data"), into its rule ("wm") and what sets it
// apart ("tuned"). ok is false for a rule of styles itself and for names
// whose part before the first '-' is not one.
func variantOf(rule string) (base, kind string, ok bool) {
	if _, known := styles[rule]; known {
		return "", "", false
	}
	base, kind, ok = strings.Cut(rule, "-")
	if _, known := styles[base]; !ok || !known || kind == "" {
		return "", "", false
	}
	return base, kind, true
}

// rank is a rule's place in ruleOrder; a variant shares its rule's, so
// that it follows it (compareRules then orders them by name).
func rank(rule string) int {
	if base, _, ok := variantOf(rule); ok {
		rule = base
	}
	if i := slices.Index(ruleOrder, rule); i >= 0 {
		return i
	}
	return len(ruleOrder)
}

// compareRules orders rules by ruleOrder, then by name.
func compareRules(a, b string) int {
	if c := rank(a) - rank(b); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

func rgb(v uint32) color.Color {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

// Dash patterns: the non-local rules (and bp) are solid, the local ones
// dashed, the sign-symmetric ones dotted, direct feedback dash-dotted, so
// the families stay apart in grey.
var (
	solid   []vg.Length
	dashed  = []vg.Length{vg.Points(6), vg.Points(3)}
	dotted  = []vg.Length{vg.Points(1.5), vg.Points(2)}
	dashDot = []vg.Length{vg.Points(6), vg.Points(2), vg.Points(1.5), vg.Points(2)}
	long    = []vg.Length{vg.Points(10), vg.Points(3)}
)

// Style is how one rule is drawn: the same in every figure.
type Style struct {
	Color color.Color
	Dash  []vg.Length
	Shape draw.GlyphDrawer
}

// styles maps each rule of ruleOrder to its style: bp black, the others the
// ten colours of matplotlib's tab10, each used once.
var styles = map[string]Style{
	"bp":   {rgb(0x000000), solid, draw.CircleGlyph{}},
	"fa":   {rgb(0xd62728), dashed, draw.SquareGlyph{}},
	"wm":   {rgb(0xff7f0e), dashed, draw.TriangleGlyph{}},
	"ia":   {rgb(0xbcbd22), dashed, draw.PyramidGlyph{}},
	"sa":   {rgb(0x1f77b4), solid, draw.BoxGlyph{}},
	"aa":   {rgb(0x17becf), solid, draw.RingGlyph{}},
	"kp":   {rgb(0x2ca02c), solid, draw.CrossGlyph{}},
	"usf":  {rgb(0x9467bd), dotted, draw.PlusGlyph{}},
	"brsf": {rgb(0xe377c2), dotted, draw.CircleGlyph{}},
	"frsf": {rgb(0x8c564b), dotted, draw.SquareGlyph{}},
	"dfa":  {rgb(0x7f7f7f), dashDot, draw.TriangleGlyph{}},
}

// otherColors are for rules outside ruleOrder, which are drawn with a long
// dash in a colour picked by a hash of the name, so a rule keeps its style
// across figures whatever else they hold.
var otherColors = []color.Color{rgb(0x393b79), rgb(0x637939), rgb(0x8c6d31), rgb(0x843c39), rgb(0x7b4173), rgb(0x3182bd)}

var otherShapes = []draw.GlyphDrawer{draw.RingGlyph{}, draw.PlusGlyph{}, draw.CrossGlyph{}, draw.PyramidGlyph{}}

// variantLooks give a variant its rule's colour with a dash of its own
// and the first of two glyphs that differs from its rule's: tuned
// metaparameters in a long dash with squares, the data-input forms
// dash-dotted with rings, any other kind in a long dash with pluses.
var variantLooks = map[string]struct {
	dash   []vg.Length
	shapes [2]draw.GlyphDrawer
}{
	"tuned": {long, [2]draw.GlyphDrawer{draw.BoxGlyph{}, draw.SquareGlyph{}}},
	"data":  {dashDot, [2]draw.GlyphDrawer{draw.RingGlyph{}, draw.CircleGlyph{}}},
	"":      {long, [2]draw.GlyphDrawer{draw.PlusGlyph{}, draw.CrossGlyph{}}},
}

// StyleOf returns the style of a rule.
func StyleOf(rule string) Style {
	if s, ok := styles[rule]; ok {
		return s
	}
	if base, kind, ok := variantOf(rule); ok {
		s := styles[base]
		look, known := variantLooks[kind]
		if !known {
			look = variantLooks[""]
		}
		s.Dash, s.Shape = look.dash, look.shapes[0]
		if s.Shape == styles[base].Shape {
			s.Shape = look.shapes[1]
		}
		return s
	}
	h := fnv.New32a()
	h.Write([]byte(rule))
	v := h.Sum32()
	return Style{otherColors[v%uint32(len(otherColors))], long, otherShapes[(v/uint32(len(otherColors)))%uint32(len(otherShapes))]}
}

func (s Style) line() draw.LineStyle {
	return draw.LineStyle{Color: s.Color, Width: vg.Points(1.5), Dashes: s.Dash}
}

func (s Style) glyph() draw.GlyphStyle {
	return draw.GlyphStyle{Color: s.Color, Radius: vg.Points(2.5), Shape: s.Shape}
}
