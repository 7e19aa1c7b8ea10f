package table

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ModelDepth reads a ResNet's depth from its model name: "resnet50" has
// 50 layers, "resnet50v2" as many in the pre-activation form (v2). ok is
// false for any other name ("lenet", "resnet", "resnet-18").
func ModelDepth(model string) (depth int, v2, ok bool) {
	s, found := strings.CutPrefix(model, "resnet")
	if !found {
		return 0, false, false
	}
	s, v2 = strings.CutSuffix(s, "v2")
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, false, false
	}
	d, err := strconv.Atoi(s)
	if err != nil || d == 0 {
		return 0, false, false
	}
	return d, v2, true
}

// compareModels orders models by increasing depth, the v1 ones before the
// v2 ones, then the names ModelDepth cannot read, by name.
func compareModels(a, b string) int {
	da, va, oka := ModelDepth(a)
	db, vb, okb := ModelDepth(b)
	switch {
	case oka != okb:
		if oka {
			return -1
		}
		return 1
	case va != vb:
		if vb {
			return -1
		}
		return 1
	}
	return cmp.Or(cmp.Compare(da, db), strings.Compare(a, b))
}

// prettyModel is a ResNet's name as papers print it: "ResNet-50",
// "ResNet-50 v2"; other names unchanged.
func prettyModel(model string) string {
	d, v2, ok := ModelDepth(model)
	switch {
	case !ok:
		return model
	case v2:
		return fmt.Sprintf("ResNet-%d v2", d)
	}
	return fmt.Sprintf("ResNet-%d", d)
}

// Depth writes NAME.md and NAME.csv of a depth experiment. The Markdown
// has a row per rule, in the experiment's order, and a column per model in
// order of increasing depth (v1 models first, then v2), each cell the top-1
// (mean ± std over seeds) with the gap to backprop on that model; then the
// paper's claim. Under the table, for each rule but backprop, whether its
// gap widens with depth over the v1 models: the least-squares slope of the
// gap against log₂ of the depth, in points per doubling of depth (the
// depths 18 to 152 roughly double from one to the next, so equal steps in
// log depth weigh them evenly). The CSV has a line per rule and model.
// Rows with noise are left out: the experiment has none.
func Depth(dir string, h Header, rows []Row) error {
	var rs []Row
	for _, r := range rows {
		if r.NoiseVar == 0 {
			rs = append(rs, r)
		}
	}
	var rules, models []string
	for _, r := range rs {
		if !slices.Contains(rules, r.Rule) {
			rules = append(rules, r.Rule)
		}
		if !slices.Contains(models, r.Model) {
			models = append(models, r.Model)
		}
	}
	// The experiment's order, then the rows' for rules it does not list.
	order := func(rule string) int {
		if i := slices.Index(h.Experiment.Rules, rule); i >= 0 {
			return i
		}
		return len(h.Experiment.Rules)
	}
	slices.SortStableFunc(rules, func(a, b string) int { return cmp.Compare(order(a), order(b)) })
	slices.SortFunc(models, compareModels)
	cell := map[[2]string]Row{}
	for _, r := range rs {
		cell[[2]string{r.Rule, r.Model}] = r
	}

	var md bytes.Buffer
	mdHeader(&md, h)
	md.WriteString("Top-1 % (mean ± std over seeds), in brackets the gap to backprop on the same model.\n\n| rule |")
	for _, m := range models {
		fmt.Fprintf(&md, " %s |", prettyModel(m))
	}
	md.WriteString(" the paper's claim |\n|---|" + strings.Repeat("---|", len(models)) + "---|\n")
	var c bytes.Buffer
	cw := csv.NewWriter(&c)
	cw.Write([]string{"rule", "model", "depth", "top1", "top1_std", "gap_to_bp", "seeds", "diverged"})
	for _, rule := range rules {
		fmt.Fprintf(&md, "| %s |", rule)
		for _, m := range models {
			r, ok := cell[[2]string{rule, m}]
			if !ok {
				md.WriteString(" – |")
				continue
			}
			g, hasBP := gap(rs, r)
			gs, gc := "", ""
			if hasBP {
				gc = f2(g)
				if rule != "bp" {
					gs = fmt.Sprintf(" (%+.2f)", g)
				}
			}
			fmt.Fprintf(&md, " %s%s |", top1(r), gs)
			depth := ""
			if d, _, ok := ModelDepth(m); ok {
				depth = strconv.Itoa(d)
			}
			cw.Write([]string{rule, m, depth, f2(r.Top1.Mean), f2(r.Top1.Std), gc, strconv.Itoa(r.Seeds), strconv.Itoa(r.Diverged)})
		}
		fmt.Fprintf(&md, " %s |\n", h.Experiment.Claims[rule])
	}
	md.WriteString(depthNote(rs, rules, models))
	md.WriteString(alignmentNote(rs))
	md.WriteString(machineNote(rs))
	return write(dir, h.Experiment.Name, md.Bytes(), &c, cw)
}

// depthNote says, for each rule but backprop, how its gap to backprop
// moves over the v1 models (models in order of depth).
func depthNote(rows []Row, rules, models []string) string {
	var b strings.Builder
	for _, rule := range rules {
		if rule == "bp" {
			continue
		}
		var xs, gaps []float64
		var first, last string
		for _, m := range models {
			d, v2, ok := ModelDepth(m)
			if !ok || v2 {
				continue
			}
			i := slices.IndexFunc(rows, func(r Row) bool { return r.Rule == rule && r.Model == m })
			if i < 0 {
				continue
			}
			g, ok := gap(rows, rows[i])
			if !ok || math.IsNaN(g) || math.IsInf(g, 0) {
				continue
			}
			if first == "" {
				first = m
			}
			last = m
			xs, gaps = append(xs, math.Log2(float64(d))), append(gaps, g)
		}
		s, ok := slope(xs, gaps)
		if !ok {
			fmt.Fprintf(&b, "- %s: no slope, a gap to backprop on fewer than two v1 depths.\n", rule)
			continue
		}
		trend := "does not change"
		switch {
		case s < 0:
			trend = "widens"
		case s > 0:
			trend = "narrows"
		}
		fmt.Fprintf(&b, "- %s: gap %+.2f → %+.2f from %s to %s, slope %+.2f points per doubling of depth: the gap %s with depth.\n",
			rule, gaps[0], gaps[len(gaps)-1], prettyModel(first), prettyModel(last), s, trend)
	}
	if b.Len() == 0 {
		return ""
	}
	return "\nThe gap to backprop against depth over the v1 models: the least-squares slope of the gap against log₂ of the depth, in points of top-1 per doubling of depth (negative: the gap widens, the rule falls further behind backprop as depth grows).\n\n" + b.String()
}

// slope is the least-squares slope of y against x; ok is false without
// two distinct x.
func slope(x, y []float64) (float64, bool) {
	var mx, my float64
	for i := range x {
		mx += x[i] / float64(len(x))
		my += y[i] / float64(len(y))
	}
	var sxy, sxx float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
	}
	if sxx == 0 {
		return 0, false
	}
	return sxy / sxx, true
}
