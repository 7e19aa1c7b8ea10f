package table

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/untied-ml/untied/repro/experiments"
	"github.com/untied-ml/untied/repro/result"
)

// Header says where a table's numbers came from.
type Header struct {
	Experiment *experiments.Experiment
	Profile    string
	Skipped    int    // unfinished runs left out
	Missing    int    // cells with no result yet (e.g. a sweep of some rules only)
	Cells      int    // the experiment's cells under the profile
	TunedFrom  string // the profile whose searches set the rows' settings, when not Profile
}

// f2 prints v to two decimals; "" for NaN (no value: every seed diverged).
func f2(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func pm(s Stat, seeds int) string {
	if math.IsNaN(s.Mean) {
		return "–"
	}
	if seeds < 2 {
		return f2(s.Mean)
	}
	return f2(s.Mean) + " ± " + f2(s.Std)
}

// top1 is a row's top-1 cell: the mean over the seeds that did not
// diverge, marked with how many did, or "diverged (step N)" if all did.
func top1(r Row) string {
	switch {
	case r.Diverged == r.Seeds:
		return fmt.Sprintf("diverged (step %d)", r.DivergedStep)
	case r.Diverged > 0:
		return fmt.Sprintf("%s (%d of %d diverged, left out)", pm(r.Top1, r.Seeds-r.Diverged), r.Diverged, r.Seeds)
	}
	return pm(r.Top1, r.Seeds)
}

func gap(rows []Row, r Row) (float64, bool) {
	bp, ok := bpRow(rows, r.Key)
	g := r.Top1.Mean - bp.Top1.Mean
	return g, ok && !math.IsNaN(g)
}

// scaleNote says which alignment time scale a row used.
func scaleNote(r Row) string {
	switch {
	case r.AlignScale == 0:
		return "–"
	case r.TauFrac > 0:
		return fmt.Sprintf("×%.3g (τ/T %.3g)", r.AlignScale, r.TauFrac)
	}
	return fmt.Sprintf("×%.3g", r.AlignScale)
}

func mdHeader(b *bytes.Buffer, h Header) {
	e := h.Experiment
	fmt.Fprintf(b, "# %s\n\n%s\n\nProfile `%s`.", e.Name, e.Title, h.Profile)
	if h.Skipped > 0 {
		fmt.Fprintf(b, " %d unfinished runs are left out.", h.Skipped)
	}
	if h.Missing > 0 {
		fmt.Fprintf(b, " %d of its %d cells have no result yet (not run, or a sweep of some rules or seeds) and are not in the table.", h.Missing, h.Cells)
	}
	b.WriteString(" Regenerate with `make repro-" + e.Name + " PROFILE=" + h.Profile + "`; rebuild the table alone from the result files with `untied table -experiment " + e.Name + " -profile " + h.Profile + "`.\n\n")
}

// Accuracy writes NAME.md and NAME.csv: a row per rule and model with top-1,
// top-5 (mean ± std over seeds), the top-1 gap to backprop on the same
// model, the final mean weight angle, the alignment scale used, and the
// paper's claim.
func Accuracy(dir string, h Header, rows []Row) error {
	var md bytes.Buffer
	mdHeader(&md, h)
	md.WriteString("| model | rule | top-1 % | top-5 % | gap to BP | weight angle ° | alignment scale | seeds | the paper's claim |\n")
	md.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	var c bytes.Buffer
	cw := csv.NewWriter(&c)
	cw.Write([]string{"rule", "model", "top1", "top5", "gap_to_bp", "weight_angle", "top1_std", "top5_std", "seeds", "align_scale", "tau_fraction", "diverged", "alignment"})
	for _, r := range rows {
		g, ok := gap(rows, r)
		gs, gc := "–", ""
		if ok {
			gs, gc = fmt.Sprintf("%+.2f", g), f2(g)
		}
		fmt.Fprintf(&md, "| %s | %s | %s | %s | %s | %s | %s | %d | %s |\n", r.Model, r.Rule, top1(r), pm(r.Top5, r.Seeds-r.Diverged),
			gs, pm(r.Angle, r.Seeds-r.Diverged), scaleNote(r), r.Seeds, h.Experiment.Claims[r.Rule])
		cw.Write([]string{r.Rule, r.Model, f2(r.Top1.Mean), f2(r.Top5.Mean), gc, f2(r.Angle.Mean), f2(r.Top1.Std), f2(r.Top5.Std),
			strconv.Itoa(r.Seeds), strconv.FormatFloat(r.AlignScale, 'g', 4, 64), strconv.FormatFloat(r.TauFrac, 'g', 3, 64), strconv.Itoa(r.Diverged), r.Alignment})
	}
	md.WriteString(alignmentNote(rows))
	md.WriteString(machineNote(rows))
	return write(dir, h.Experiment.Name, md.Bytes(), &c, cw)
}

// alignmentNote lists each row name's alignment loss, its coefficients
// (before the time-scale multiplier) and its input, once per distinct one.
func alignmentNote(rows []Row) string {
	var b strings.Builder
	seen := map[string]bool{}
	for _, r := range rows {
		if r.Alignment == "" || seen[r.Rule+r.Alignment] {
			continue
		}
		seen[r.Rule+r.Alignment] = true
		if b.Len() == 0 {
			b.WriteString("\nAlignment losses (coefficients before the alignment scale; the loss's input):\n")
		}
		fmt.Fprintf(&b, "- %s: %s\n", r.Rule, r.Alignment)
	}
	return b.String()
}

// Noise writes NAME.md and NAME.csv: per rule and model, top-1 at each noise
// site and variance (columns in the Markdown, rows in the CSV), with the gap
// to backprop at the same setting (or noiseless backprop for site b, where
// backprop has no B).
func Noise(dir string, h Header, rows []Row) error {
	type col struct {
		site string
		v    float64
	}
	var cols []col
	seen := map[col]bool{}
	for _, r := range rows {
		k := col{r.NoiseSite, r.NoiseVar}
		if !seen[k] {
			seen[k] = true
			cols = append(cols, k)
		}
	}
	sortCols := func(a, b col) int {
		if c := strings.Compare(a.site, b.site); c != 0 {
			return c
		}
		return cmp.Compare(a.v, b.v)
	}
	slices.SortFunc(cols, sortCols)
	var md bytes.Buffer
	mdHeader(&md, h)
	md.WriteString("Top-1 % (gap to backprop at the same setting). Site `b`: noise on the feedback weights only; `all`: on every trained weight.\n\n| model | rule |")
	for _, c := range cols {
		if c.site == "" {
			md.WriteString(" no noise |")
		} else {
			fmt.Fprintf(&md, " %s, var %g |", c.site, c.v)
		}
	}
	md.WriteString(" the paper's claim |\n|---|---|" + strings.Repeat("---|", len(cols)) + "---|\n")
	var c bytes.Buffer
	cw := csv.NewWriter(&c)
	cw.Write([]string{"rule", "model", "site", "noise_var", "top1", "top5", "gap_to_bp", "weight_angle", "top1_std", "seeds", "diverged"})
	type rm struct{ rule, model string }
	var order []rm
	byRM := map[rm]map[col]Row{}
	for _, r := range rows {
		k := rm{r.Rule, r.Model}
		if byRM[k] == nil {
			byRM[k] = map[col]Row{}
			order = append(order, k)
		}
		byRM[k][col{r.NoiseSite, r.NoiseVar}] = r
		g, ok := gap(rows, r)
		gc := ""
		if ok {
			gc = f2(g)
		}
		site := r.NoiseSite
		if site == "" {
			site = "none"
		}
		cw.Write([]string{r.Rule, r.Model, site, strconv.FormatFloat(r.NoiseVar, 'g', 4, 64), f2(r.Top1.Mean), f2(r.Top5.Mean), gc,
			f2(r.Angle.Mean), f2(r.Top1.Std), strconv.Itoa(r.Seeds), strconv.Itoa(r.Diverged)})
	}
	for _, k := range order {
		fmt.Fprintf(&md, "| %s | %s |", k.model, k.rule)
		for _, c := range cols {
			r, ok := byRM[k][c]
			if !ok {
				md.WriteString(" – |")
				continue
			}
			g, _ := gap(rows, r)
			fmt.Fprintf(&md, " %s (%+.2f) |", top1(r), g)
		}
		fmt.Fprintf(&md, " %s |\n", h.Experiment.Claims[k.rule])
	}
	md.WriteString(alignmentNote(rows))
	md.WriteString(machineNote(rows))
	return write(dir, h.Experiment.Name, md.Bytes(), &c, cw)
}

// machineNote states where and how long the runs took, and which builds
// of untied made them when the results say.
func machineNote(rows []Row) string {
	var secs float64
	var m result.Machine
	var revs []string
	n := 0
	for _, r := range rows {
		for _, res := range r.Results {
			secs += res.WallSeconds
			m = res.Machine
			if rev := res.Machine.Revision; rev != "" && !slices.Contains(revs, rev) {
				revs = append(revs, rev)
			}
			n++
		}
	}
	if n == 0 {
		return "\nNo finished runs yet.\n"
	}
	built := ""
	switch len(revs) {
	case 0:
	case 1:
		built = ", untied " + revs[0]
	default:
		slices.Sort(revs)
		built = fmt.Sprintf(", %d builds of untied (%s)", len(revs), strings.Join(revs, ", "))
	}
	return fmt.Sprintf("\n%d runs, %.1f minutes of training and evaluation summed over them (runs side by side take less), on %s/%s with GOMAXPROCS %d (%d CPUs), %s%s.\n",
		n, secs/60, m.GOOS, m.GOARCH, m.GOMAXPROCS, m.NumCPU, m.GoVersion, built)
}

func write(dir, name string, md []byte, c *bytes.Buffer, cw *csv.Writer) error {
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	if err := result.WriteFile(filepath.Join(dir, name+".md"), md); err != nil {
		return err
	}
	return result.WriteFile(filepath.Join(dir, name+".csv"), c.Bytes())
}
