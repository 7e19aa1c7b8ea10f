package tune

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// sameBits reports whether two point lists are identical bit for bit.
func sameBits(a, b []Point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if math.Float64bits(a[i][j]) != math.Float64bits(b[i][j]) {
				return false
			}
		}
	}
	return true
}

func trialPoints(h []Trial) []Point {
	var p []Point
	for _, t := range h {
		p = append(p, t.Point)
	}
	return p
}

// history4D is a history of n trials of objective4D from random points,
// every fifth one failed (NaN or +Inf loss).
func history4D(t *testing.T, n int, seed uint64) []Trial {
	t.Helper()
	pts, err := Random(space4D, n, seed, 0)
	if err != nil {
		t.Fatal(err)
	}
	h := make([]Trial, n)
	for i, p := range pts {
		h[i] = Trial{Point: p, Loss: objective4D(p)}
		if i%5 == 4 {
			h[i].Loss = []float64{math.NaN(), math.Inf(1)}[i%2]
		}
	}
	return h
}

func TestSuggestDeterministic(t *testing.T) {
	hist := history4D(t, 23, 7)
	opt := Options{Seed: 42}
	a, err := Suggest(space4D, hist, 6, opt)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Suggest(space4D, hist, 6, opt)
	if !sameBits(a, b) {
		t.Errorf("Suggest twice = %v and %v, want identical bits", a, b)
	}
	c, _ := Suggest(space4D, hist, 6, Options{Seed: 43})
	if sameBits(a, c) {
		t.Errorf("Suggest(seed 42) = Suggest(seed 43) = %v, want the seed to matter", a)
	}
}

func TestSearchRepeatable(t *testing.T) {
	a := searchTPE(t, space4D, objective4D, 30, Options{Seed: 5})
	b := searchTPE(t, space4D, objective4D, 30, Options{Seed: 5})
	if !sameBits(trialPoints(a), trialPoints(b)) {
		t.Errorf("search(seed 5) twice = %v and %v, want identical trials", trialPoints(a), trialPoints(b))
	}
}

// TestResume stops a search after k trials, passes its history through
// JSON (as the tune command's state file would) and carries on: the trials
// must be those of the uninterrupted search.
func TestResume(t *testing.T) {
	const total = 30
	opt := Options{Seed: 11}
	full := searchTPE(t, space4D, objective4D, total, opt)
	for _, k := range []int{3, 10, 17} {
		data, err := json.Marshal(full[:k])
		if err != nil {
			t.Fatal(err)
		}
		var hist []Trial
		if err := json.Unmarshal(data, &hist); err != nil {
			t.Fatal(err)
		}
		for len(hist) < total {
			p, err := Suggest(space4D, hist, 1, opt)
			if err != nil {
				t.Fatal(err)
			}
			hist = append(hist, Trial{Point: p[0], Loss: objective4D(p[0])})
		}
		if !sameBits(trialPoints(hist), trialPoints(full)) {
			t.Errorf("search resumed after %d trials = %v, want %v", k, trialPoints(hist), trialPoints(full))
		}
	}
}

// TestStartupIsRandom checks that the startup points are Random's points
// at offsets len(history)+k, and Random's offset contract.
func TestStartupIsRandom(t *testing.T) {
	opt := Options{Seed: 9, Startup: 10}
	hist := history4D(t, 4, 1)
	got, _ := Suggest(space4D, hist, 3, opt)
	want, _ := Random(space4D, 3, 9, 4)
	if !sameBits(got, want) {
		t.Errorf("Suggest(4 trials, n=3) = %v, want Random(n=3, offset=4) = %v", got, want)
	}
	all, _ := Random(space4D, 6, 9, 0)
	if !sameBits(all[4:], want[:2]) {
		t.Errorf("Random(n=6, offset=0)[4:] = %v, want Random(offset=4)[:2] = %v", all[4:], want[:2])
	}
	// A batch straddling the end of startup: 2 random points, then TPE.
	mixed, _ := Suggest(space4D, history4D(t, 8, 1), 4, opt)
	tail, _ := Random(space4D, 2, 9, 8)
	if !sameBits(mixed[:2], tail) {
		t.Errorf("Suggest(8 trials, n=4)[:2] = %v, want Random(offset=8) = %v", mixed[:2], tail)
	}
}

// TestBatchDistinct checks that the points of one batch differ, in the
// startup phase, across its end and in the TPE phase.
func TestBatchDistinct(t *testing.T) {
	for _, h := range []int{0, 6, 25} {
		pts, err := Suggest(space4D, history4D(t, h, 3), 8, Options{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		for i := range pts {
			for j := i + 1; j < len(pts); j++ {
				if sameBits(pts[i:i+1], pts[j:j+1]) {
					t.Errorf("Suggest(%d trials, n=8) points %d and %d = %v, want distinct", h, i, j, pts[i])
				}
			}
		}
	}
}

// TestPointsInSpace draws from Random and Suggest over awkward spaces and
// histories that sit on the bounds, and checks every point is in the space.
func TestPointsInSpace(t *testing.T) {
	spaces := []Space{
		space4D,
		{
			{Name: "tiny", Kind: LogUniform, Low: 1e-300, High: 1e300},
			{Name: "narrow", Kind: Uniform, Low: 0.999999, High: 1},
			{Name: "neg", Kind: Uniform, Low: -3, High: -2},
			{Name: "one", Kind: Choice, N: 1},
			{Name: "many", Kind: Choice, N: 17},
		},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for si, s := range spaces {
		hist := make([]Trial, 0, 40)
		pts, _ := Random(s, 40, 3, 0)
		for i, p := range pts {
			if i%4 == 0 { // pin some values to the bounds
				for j, prm := range s {
					if prm.Kind != Choice {
						p[j] = []float64{prm.Low, prm.High}[r.IntN(2)]
					}
				}
			}
			hist = append(hist, Trial{Point: p, Loss: r.Float64()})
		}
		for _, h := range []int{0, 5, 12, 40} {
			got, err := Suggest(s, hist[:h], 50, Options{Seed: uint64(h)})
			if err != nil {
				t.Fatalf("space %d: Suggest(%d trials) error: %v", si, h, err)
			}
			for k, p := range got {
				if err := s.Check(p); err != nil {
					t.Errorf("space %d: Suggest(%d trials) point %d = %v: %v", si, h, k, p, err)
				}
			}
		}
	}
}

// TestFailedTrials checks that failed trials are kept out of the good set
// and that a history of failures only still gives points.
func TestFailedTrials(t *testing.T) {
	nan := math.NaN()
	h := []Trial{{Loss: 3}, {Loss: nan}, {Loss: 1}, {Loss: math.Inf(-1)}, {Loss: 1}, {Loss: 2}}
	good, bad := split(h, 1) // n_good = ceil(sqrt(4)) = 2
	if len(good) != 2 || good[0] != 2 || good[1] != 4 {
		t.Errorf("split(losses 3 NaN 1 -Inf 1 2, gamma 1) good = %v, want [2 4]", good)
	}
	if len(bad) != 4 || bad[0] != 0 || bad[1] != 1 || bad[2] != 3 || bad[3] != 5 {
		t.Errorf("split(...) bad = %v, want [0 1 3 5]", bad)
	}
	if g, _ := split(h, 0.5); len(g) != 1 || g[0] != 2 { // n_good = 1: the tie goes to the earlier trial
		t.Errorf("split(losses 3 NaN 1 -Inf 1 2, gamma 0.5) good = %v, want [2]", g)
	}
	if g, _ := split(history4D(t, 40, 1), DefaultGamma); len(g) != 2 { // 32 finite: ceil(0.25·√32) = 2
		t.Errorf("split(40 trials, 32 finite) good size = %d, want 2", len(g))
	}
	failed := history4D(t, 15, 2)
	for i := range failed {
		failed[i].Loss = nan
	}
	pts, err := Suggest(space4D, failed, 3, Options{Seed: 1})
	if err != nil || len(pts) != 3 {
		t.Errorf("Suggest(all failed) = %v, %v, want 3 points", pts, err)
	}
}

func TestForgetting(t *testing.T) {
	w := forgetting(30) // 5 ramp weights from 1/30 to 1, then 25 ones
	if w[0] != 1.0/30 || w[4] != 1 || w[29] != 1 || !(w[1] > w[0] && w[2] > w[1]) {
		t.Errorf("forgetting(30)[:6] = %v, want a ramp 1/30..1 then ones", w[:6])
	}
	for _, n := range []int{0, 1, 25} {
		for i, x := range forgetting(n) {
			if x != 1 {
				t.Errorf("forgetting(%d)[%d] = %v, want 1", n, i, x)
			}
		}
	}
}

// TestParzen checks the estimator on a hand-worked case and that its
// truncated density integrates to 1.
func TestParzen(t *testing.T) {
	// Sorted means 0.2, 0.5 (prior), 0.8; neighbour distances 0.3 are above
	// the floor 1/min(100, 4) = 0.25; the prior keeps sigma 1.
	g := adaptiveParzen([]float64{0.8, 0.2}, []float64{1, 1}, 0.5, 1, 0, 1)
	want := []float64{0.3, 1, 0.3}
	for i := range want {
		if math.Abs(g.sigma[i]-want[i]) > 1e-12 || math.Abs(g.w[i]-1.0/3) > 1e-12 {
			t.Errorf("adaptiveParzen: component %d = (w %v, sigma %v), want (1/3, %v)", i, g.w[i], g.sigma[i], want[i])
		}
	}
	obs := []float64{-4.1, -4, -3.9, -3.9, -1, 0}
	g = adaptiveParzen(obs, forgetting(len(obs)), -5, 10, -10, 0)
	const steps = 20000
	sum := 0.0
	for i := 0; i <= steps; i++ {
		x := -10 + 10*float64(i)/steps
		f := math.Exp(g.logPDF(x))
		if i == 0 || i == steps {
			f /= 2
		}
		sum += f * 10 / steps
	}
	if math.Abs(sum-1) > 1e-4 {
		t.Errorf("integral of the truncated mixture over [-10, 0] = %v, want 1", sum)
	}
	c := newCategorical([]float64{2, 2, 0}, []float64{1, 1, 1}, 4)
	for i, w := range []float64{2.0 / 7, 1.0 / 7, 3.0 / 7, 1.0 / 7} {
		if math.Abs(c.p[i]-w) > 1e-12 {
			t.Errorf("newCategorical(2 2 0 of 4).p[%d] = %v, want %v", i, c.p[i], w)
		}
	}
}

// TestStratifiedStartup: with Stratified, the startup points put one draw
// in each of Startup equal-probability slices of every parameter's prior
// (here quarters of a log range and of a uniform one), the same whether
// proposed at once or a generation at a time.
func TestStratifiedStartup(t *testing.T) {
	space := Space{{Name: "lr", Kind: LogUniform, Low: 1e-5, High: 0.1}, {Name: "m", Kind: Uniform, Low: 0, High: 1}}
	opt := Options{Seed: 7, Startup: 4, Stratified: true}
	all, err := Suggest(space, nil, 4, opt)
	if err != nil {
		t.Fatal(err)
	}
	var history []Trial
	for g := 0; g < 2; g++ {
		two, err := Suggest(space, history, 2, opt)
		if err != nil {
			t.Fatal(err)
		}
		for k, p := range two {
			if !slices.Equal(p, all[2*g+k]) {
				t.Errorf("generation %d point %d = %v, want %v (as proposed at once)", g, k, p, all[2*g+k])
			}
			history = append(history, Trial{Point: p, Loss: 1})
		}
	}
	for i := range space {
		seen := map[int]bool{}
		for _, p := range all {
			u := p[i]
			if space[i].Kind == LogUniform {
				u = math.Log10(u/1e-5) / 4
			}
			seen[int(u*4)] = true
		}
		if len(seen) != 4 {
			t.Errorf("parameter %s: startup points %v fill slices %v, want all four", space[i].Name, all, seen)
		}
	}
}
