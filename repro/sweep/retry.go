package sweep

import (
	"fmt"
	"math"
	"path/filepath"

	"github.com/untied-ml/untied/repro/result"
)

// attempt returns run k of cell c: run 0 is c itself, run k > 0 is c at
// its rate halved k times, in the directory <c's>-lr-halved-<k> beside
// c's, its configuration recording lr_halved k.
func attempt(c Cell, k int) Cell {
	if k == 0 {
		return c
	}
	c.Config.LR = math.Ldexp(c.Config.LR, -k)
	c.Config.LRHalved = k
	c.Config.Out = fmt.Sprintf("%s-lr-halved-%d", c.Config.Out, k)
	return c
}

// current returns the run of cell c that stands for it: the first whose
// run has not diverged, or is the last c may make, or has not finished
// (the one to run next); its status; and, for a stale one, why.
func current(c Cell) (Cell, Status, error) {
	for k := 0; ; k++ {
		a := attempt(c, k)
		s, r, err := inspect(a)
		if s != Finished || k == c.Retries || r.Diverged == "" {
			return a, s, err
		}
	}
}

// ResultPath is the result.json that stands for cell c in a table: its
// own run's, or, after a divergence, that of the run at a halved rate
// that followed it (see Cell.Retries).
func ResultPath(c Cell) string {
	a, _, _ := current(c)
	return filepath.Join(a.Config.Out, "result.json")
}

// Summary is the line a sweep prints for a cell's finished run r: its
// top-1, weight angle and time (or its divergence), and the rate when a
// retry halved it.
func Summary(r *result.Record) string {
	s := fmt.Sprintf("top-1 %.2f%%, weight angle %.1f°, %.0f s", r.TestTop1, r.MeanWeightAngle, r.WallSeconds)
	if r.Diverged != "" {
		s = "diverged: " + r.Diverged
	}
	if r.Config.LRHalved > 0 {
		s += fmt.Sprintf(", at lr %.3g (halved %d× after divergences)", r.Config.LR, r.Config.LRHalved)
	}
	return s
}
