package table

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
)

// Error writes NAME.md and NAME.csv as BioTorch prints its benchmark: the
// top-1 error (100 − top-1, percent) of each rule, a column per data set,
// each cell with its gap to backprop on that data set and the learning
// rate the row trained at (each rule's may be its own, chosen on a
// validation split).
func Error(dir string, h Header, rows []Row) error {
	// Data sets in the order of the experiment's settings that name
	// them, as the experiment lists them (BioTorch: MNIST first).
	var datas []string
	for _, s := range h.Experiment.Settings {
		if slices.ContainsFunc(rows, func(r Row) bool { return r.Data == s.Name }) {
			datas = append(datas, s.Name)
		}
	}
	for _, r := range rows {
		if !slices.Contains(datas, r.Data) {
			datas = append(datas, r.Data)
		}
	}
	type line struct{ model, rule string }
	var lines []line
	cells := map[line]map[string]Row{}
	for _, r := range rows {
		l := line{r.Model, r.Rule}
		if cells[l] == nil {
			lines = append(lines, l)
			cells[l] = map[string]Row{}
		}
		cells[l][r.Data] = r
	}

	var md bytes.Buffer
	mdHeader(&md, h)
	if h.TunedFrom != "" && h.TunedFrom != h.Profile {
		fmt.Fprintf(&md, "The learning rates are those the searches of profile `%s` chose (this profile's tuned_from): no search ran at this profile's length.\n\n", h.TunedFrom)
	}
	md.WriteString("Top-1 error %, mean ± std over seeds (gap to backprop; learning rate).\n\n| model | rule |")
	for _, d := range datas {
		md.WriteString(" " + d + " |")
	}
	md.WriteString(" the claim |\n|---|---|")
	for range datas {
		md.WriteString("---|")
	}
	md.WriteString("---|\n")
	var c bytes.Buffer
	cw := csv.NewWriter(&c)
	cw.Write([]string{"rule", "model", "data", "top1_error", "top1_error_std", "gap_to_bp", "lr", "lr_halved", "seeds", "diverged", "halved_seeds"})
	for _, l := range lines {
		fmt.Fprintf(&md, "| %s | %s |", l.model, l.rule)
		for _, d := range datas {
			r, ok := cells[l][d]
			if !ok {
				md.WriteString(" – |")
				continue
			}
			e := r
			e.Top1 = Stat{100 - r.Top1.Mean, r.Top1.Std}
			cell, gs, gc := top1(e), "", ""
			if g, ok := gap(rows, r); ok && r.Rule != "bp" {
				gs, gc = fmt.Sprintf("%+.2f; ", 0-g), f2(0-g) // 0−g: no "-0.00"
			}
			fmt.Fprintf(&md, " %s (%slr %.3g%s) |", cell, gs, r.LR, halvedNote(r))
			cw.Write([]string{r.Rule, r.Model, r.Data, f2(e.Top1.Mean), f2(e.Top1.Std), gc, strconv.FormatFloat(r.LR, 'g', 4, 64),
				strconv.Itoa(r.LRHalved), strconv.Itoa(r.Seeds), strconv.Itoa(r.Diverged), strconv.Itoa(r.HalvedSeeds)})
		}
		fmt.Fprintf(&md, " %s |\n", h.Experiment.Claims[l.rule])
	}
	if slices.ContainsFunc(rows, func(r Row) bool { return r.HalvedSeeds > 0 }) {
		md.WriteString("\nA rate marked halved is the searched one halved after the run at it diverged (the experiment's diverged_retries); the search's own choice is in its best.json. " +
			"Where only some seeds' runs diverged, the rate shown is the others', the searched one, and theirs is it halved once per divergence.\n")
	}
	md.WriteString(alignmentNote(rows))
	md.WriteString(machineNote(rows))
	return write(dir, h.Experiment.Name, md.Bytes(), &c, cw)
}

// halvedNote marks the learning rate of a row whose runs a sweep halved
// after divergences: every seed's ("" if none), or some seeds'.
func halvedNote(r Row) string {
	switch {
	case r.HalvedSeeds == 0:
		return ""
	case r.HalvedSeeds < r.Seeds:
		return fmt.Sprintf(", halved after a divergence for %d of %d seeds", r.HalvedSeeds, r.Seeds)
	case r.LRHalved == 1:
		return ", halved after a divergence"
	}
	return fmt.Sprintf(", halved %d times after divergences", r.LRHalved)
}
