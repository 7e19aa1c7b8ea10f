package sweep

import (
	"io"
	"math"
	"path/filepath"
	"testing"

	"github.com/untied-ml/untied/repro/result"
)

// divergingCell returns table1's first smoke cell under root at a constant
// rate lr (64 diverges within a few steps, 16 trains) allowing retries.
func divergingCell(t *testing.T, root string, lr float64, retries int) []Cell {
	cells := smokeWith(t, root, "schedule", "constant")[:1]
	cells[0].Config.LR, cells[0].Retries = lr, retries
	return cells
}

// TestDivergedCellRetriesAtHalfTheRate: a cell whose run diverges runs
// again at half the rate, in a directory of its own, until a run trains;
// the table reads that run, which records the halvings, and the sweep is
// then finished (nothing reruns).
func TestDivergedCellRetriesAtHalfTheRate(t *testing.T) {
	root := t.TempDir()
	cells := divergingCell(t, root, 64, 3)
	if err := Run(cells, Options{}); err != nil {
		t.Fatal(err)
	}
	r, err := result.Read(ResultPath(cells[0]))
	if err != nil {
		t.Fatal(err)
	}
	k := r.Config.LRHalved
	if r.Diverged != "" || k < 1 || r.Config.LR != math.Ldexp(64, -k) {
		t.Fatalf("the table's run: diverged %q, lr %v halved %d times; want a trained run at 64/2^k, k ≥ 1", r.Diverged, r.Config.LR, k)
	}
	if filepath.Dir(ResultPath(cells[0])) == cells[0].Config.Out {
		t.Errorf("the retry wrote into the cell's own directory")
	}
	for j := range k {
		if _, r, _ := inspect(attempt(cells[0], j)); r == nil || r.Diverged == "" {
			t.Errorf("run %d (lr %v) did not diverge, yet the sweep went on", j, attempt(cells[0], j).Config.LR)
		}
	}
	if todo, _, err := Plan(cells, false, io.Discard); err != nil || len(todo) != 0 || StatusOf(cells[0]) != Finished {
		t.Errorf("after the retries: Plan %v, %v, status %v; want nothing to run, finished", todo, err, StatusOf(cells[0]))
	}
}

// TestRetriesRunOut: a cell diverging at every rate it may try ends
// diverged at its last one; without retries it ends at its own.
func TestRetriesRunOut(t *testing.T) {
	for _, retries := range []int{0, 1} {
		root := t.TempDir()
		cells := divergingCell(t, root, 1024, retries)
		if err := Run(cells, Options{}); err != nil {
			t.Fatal(err)
		}
		r, err := result.Read(ResultPath(cells[0]))
		if err != nil {
			t.Fatal(err)
		}
		if r.Diverged == "" || r.Config.LRHalved != retries {
			t.Errorf("retries %d: the table's run diverged %q, halved %d times; want diverged, %d", retries, r.Diverged, r.Config.LRHalved, retries)
		}
		if todo, _, _ := Plan(cells, false, io.Discard); len(todo) != 0 {
			t.Errorf("retries %d: %d cells to run after the last retry diverged, want 0", retries, len(todo))
		}
	}
}
