package tune

import (
	"math"
	"slices"
	"testing"
)

// objective1D is minimal (0) at x = 3e-3 on log-uniform [1e-5, 1]: the
// shape of a learning-rate search.
var (
	space1D = Space{{Name: "lr", Kind: LogUniform, Low: 1e-5, High: 1}}

	objective1D = func(p Point) float64 {
		d := math.Log10(p[0]) - math.Log10(3e-3)
		return d * d
	}
)

// objective4D mixes every kind: a shifted quadratic bowl in log10(lr),
// log10(wd) and momentum, plus 1 unless the choice is option 2.
var (
	space4D = Space{
		{Name: "lr", Kind: LogUniform, Low: 1e-5, High: 1},
		{Name: "wd", Kind: LogUniform, Low: 1e-6, High: 1e-1},
		{Name: "momentum", Kind: Uniform, Low: 0, High: 1},
		{Name: "opt", Kind: Choice, N: 4},
	}

	objective4D = func(p Point) float64 {
		a := math.Log10(p[0]) - math.Log10(3e-3)
		b := math.Log10(p[1]) - math.Log10(1e-4)
		c := p[2] - 0.9
		loss := a*a + 0.5*b*b + 4*c*c
		if p[3] != 2 {
			loss++
		}
		return loss
	}
)

// searchTPE runs a sequential TPE search of T trials and returns them.
func searchTPE(t *testing.T, s Space, f func(Point) float64, trials int, opt Options) []Trial {
	t.Helper()
	var hist []Trial
	for len(hist) < trials {
		pts, err := Suggest(s, hist, 1, opt)
		if err != nil {
			t.Fatalf("Suggest(trial %d) error: %v", len(hist), err)
		}
		hist = append(hist, Trial{Point: pts[0], Loss: f(pts[0])})
	}
	return hist
}

// bestRandom returns the best loss of a random search of T trials.
func bestRandom(t *testing.T, s Space, f func(Point) float64, trials int, seed uint64) float64 {
	t.Helper()
	pts, err := Random(s, trials, seed, 0)
	if err != nil {
		t.Fatalf("Random error: %v", err)
	}
	best := math.Inf(1)
	for _, p := range pts {
		best = math.Min(best, f(p))
	}
	return best
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// compare runs TPE and random search over seeds 1..S with the same budget
// (TPE's first Startup trials are random search's first trials, since both
// use Random's streams) and returns their medians of the best loss and the
// number of seeds on which TPE's best loss is strictly lower.
func compare(t *testing.T, s Space, f func(Point) float64, seeds, trials int) (medTPE, medRand float64, wins int) {
	t.Helper()
	var bt, br []float64
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		hist := searchTPE(t, s, f, trials, Options{Seed: seed})
		tpe := hist[Best(hist)].Loss
		rnd := bestRandom(t, s, f, trials, seed)
		bt, br = append(bt, tpe), append(br, rnd)
		if tpe < rnd {
			wins++
		}
	}
	return median(bt), median(br), wins
}

// TestTPEBeatsRandom compares the best loss found by TPE and by random
// search with the same budget over seeds 1..20. Measured (40 trials, 10 of
// them startup, default options; the run is deterministic, so these are
// the figures the test sees):
//
//	1-D: median best loss TPE 0.0004672, random 0.001655; TPE wins 14/20
//	4-D: median best loss TPE 0.6631,    random 1.082;    TPE wins 14/20
//
// With the sign of the score flipped (TPE seeking g over l) the same test
// fails: 1-D 0.0571 vs 0.00166 with 2 wins, 4-D 1.753 vs 1.082 with 0.
func TestTPEBeatsRandom(t *testing.T) {
	const seeds, trials = 20, 40
	for _, c := range []struct {
		name string
		s    Space
		f    func(Point) float64
	}{{"1-D", space1D, objective1D}, {"4-D", space4D, objective4D}} {
		mt, mr, wins := compare(t, c.s, c.f, seeds, trials)
		t.Logf("%s: median best loss TPE %.4g, random %.4g; TPE wins %d/%d", c.name, mt, mr, wins, seeds)
		if !(mt < mr) {
			t.Errorf("%s: median best loss TPE = %v, want < random's %v", c.name, mt, mr)
		}
		if wins <= seeds/2 {
			t.Errorf("%s: TPE wins = %d/%d seeds, want a majority", c.name, wins, seeds)
		}
	}
}
