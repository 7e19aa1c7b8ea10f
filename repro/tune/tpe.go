package tune

import (
	"fmt"
	"math"
	"sort"
)

// Options of the search. Zero values take the defaults given.
type Options struct {
	Seed uint64 // fixes every draw

	// Startup is the number of trials drawn at random before TPE starts;
	// default 10. Hyperopt uses 20, but our searches run some tens of
	// trials (each a training run), and 20 would spend half of a 40-trial
	// budget before the model is used; 10 is also Optuna's default for its
	// TPE. A value below 0 is an error; 0 means the default.
	Startup int

	// Candidates is the number of draws from l(x) scored per parameter per
	// suggestion; default 24 (hyperopt's n_EI_candidates).
	Candidates int

	// Stratified draws the Startup points as a Latin hypercube: each
	// parameter's prior is cut into Startup slices of equal probability
	// and every slice holds one startup point, so a short search covers
	// the whole range (plain random startup points can all miss the
	// decade that matters). Off, they are independent draws, as hyperopt's.
	Stratified bool

	// Gamma sets the size of the good set as hyperopt does:
	// n_good = min(ceil(Gamma·sqrt(n)), 25) for n finite losses (at least
	// 1 when n > 0); default 0.25 (hyperopt's gamma). The cap of 25 is
	// hyperopt's linear-forgetting horizon. It must lie in (0, 1].
	Gamma float64
}

// Defaults of Options.
const (
	DefaultStartup    = 10
	DefaultCandidates = 24
	DefaultGamma      = 0.25
)

// withDefaults fills zero fields and rejects bad ones.
func (o Options) withDefaults() (Options, error) {
	if o.Startup == 0 {
		o.Startup = DefaultStartup
	}
	if o.Candidates == 0 {
		o.Candidates = DefaultCandidates
	}
	if o.Gamma == 0 {
		o.Gamma = DefaultGamma
	}
	switch {
	case o.Startup < 0:
		return o, fmt.Errorf("tune: options: startup must be >= 0, got %d", o.Startup)
	case o.Candidates < 0:
		return o, fmt.Errorf("tune: options: candidates must be >= 1, got %d", o.Candidates)
	case !(o.Gamma > 0 && o.Gamma <= 1):
		return o, fmt.Errorf("tune: options: gamma must be in (0, 1], got %v", o.Gamma)
	}
	return o, nil
}

// Random returns n points drawn from the prior (random search),
// deterministic in (space, seed, offset): point k uses the stream of
// (seed, offset+k), so Random(s, 2, seed, 0) and Random(s, 1, seed, 1)
// agree on their common point.
func Random(space Space, n int, seed uint64, offset int) ([]Point, error) {
	if err := space.Validate(); err != nil {
		return nil, err
	}
	if n < 0 || offset < 0 {
		return nil, fmt.Errorf("tune: random: n (%d) and offset (%d) must be >= 0", n, offset)
	}
	pts := make([]Point, n)
	for k := range pts {
		pts[k] = priorDraw(space, newStream(seed, tagRandom, uint64(offset+k), 0))
	}
	return pts, nil
}

// priorDraw draws one point from the prior of every parameter, in order.
func priorDraw(space Space, s stream) Point {
	p := make(Point, len(space))
	for i := range space {
		p[i] = fromUniform(space[i], s.uniform())
	}
	return p
}

// stratifiedDraw draws startup point j of n as a Latin hypercube does:
// parameter i's draw lies in slice perm_i(j) of n equal-probability slices
// of its prior, perm_i a permutation of 0..n−1 fixed by (seed, i), so the
// n startup points fill every slice of every parameter once.
func stratifiedDraw(space Space, s stream, seed uint64, j, n int) Point {
	p := make(Point, len(space))
	for i := range space {
		perm := newStream(seed, tagStrata, uint64(i), 0).permutation(n)
		p[i] = fromUniform(space[i], (float64(perm[j])+s.uniform())/float64(n))
	}
	return p
}

// fromUniform maps u in [0, 1) to prm's prior.
func fromUniform(prm Param, u float64) float64 {
	switch prm.Kind {
	case Choice:
		return math.Min(math.Floor(u*float64(prm.N)), float64(prm.N-1))
	case LogUniform:
		lo, hi := math.Log(prm.Low), math.Log(prm.High)
		return clamp(math.Exp(lo+u*(hi-lo)), prm.Low, prm.High)
	}
	return clamp(prm.Low+u*(prm.High-prm.Low), prm.Low, prm.High)
}

func clamp(x, lo, hi float64) float64 { return math.Min(math.Max(x, lo), hi) }

// Suggest returns n new points given the trials so far. It is a pure
// function of (space, history, n, opt): the same inputs give the same
// points, bit for bit, so a search that is stopped and resumed proposes
// exactly what it would have. Point k of a batch uses its own random stream
// derived from (Seed, len(history), k), so a generation of n points run in
// parallel are distinct. With fewer than Startup trials in history, the
// missing startup points are random draws from the prior: point k is then
// Random's point of offset len(history)+k, so the startup trials of a
// search are Random(space, Startup, Seed, 0).
func Suggest(space Space, history []Trial, n int, opt Options) ([]Point, error) {
	if err := space.Validate(); err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("tune: suggest: n must be >= 0, got %d", n)
	}
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	for i, t := range history {
		if err := space.Check(t.Point); err != nil {
			return nil, fmt.Errorf("tune: history trial %d: %w", i, err)
		}
	}
	h := len(history)
	pts := make([]Point, n)
	var models []*estimators // built on the first TPE point
	for k := range pts {
		if h+k < opt.Startup {
			s := newStream(opt.Seed, tagRandom, uint64(h+k), 0)
			if opt.Stratified {
				pts[k] = stratifiedDraw(space, s, opt.Seed, h+k, opt.Startup)
			} else {
				pts[k] = priorDraw(space, s)
			}
			continue
		}
		if models == nil {
			models = fit(space, history, opt.Gamma)
		}
		s := newStream(opt.Seed, tagTPE, uint64(h), uint64(k))
		p := make(Point, len(space))
		for i, m := range models {
			p[i] = m.propose(s, opt.Candidates, space[i])
		}
		pts[k] = p
	}
	return pts, nil
}

// density is l(x) or g(x) of one parameter: a mixture or a categorical.
type density interface {
	sample(s stream) float64
	logPDF(x float64) float64
}

// estimators holds l(x), built from the good trials, and g(x), built from
// the bad ones, of one parameter.
type estimators struct{ l, g density }

// propose draws c candidates from l and returns the one with the largest
// log l(x) − log g(x) (the first on a tie), mapped back to the parameter's
// space. This ratio orders candidates as expected improvement does
// (Bergstra et al. 2011, section 4.1).
func (e *estimators) propose(s stream, c int, prm Param) float64 {
	best, bestScore := 0.0, math.Inf(-1)
	for j := 0; j < c; j++ {
		x := e.l.sample(s)
		if score := e.l.logPDF(x) - e.g.logPDF(x); j == 0 || score > bestScore {
			best, bestScore = x, score
		}
	}
	if prm.Kind == LogUniform {
		return clamp(math.Exp(best), prm.Low, prm.High)
	}
	return best
}

// fit splits history into good and bad trials and builds each parameter's
// estimators from them.
func fit(space Space, history []Trial, gamma float64) []*estimators {
	good, bad := split(history, gamma)
	gw, bw := forgetting(len(good)), forgetting(len(bad))
	models := make([]*estimators, len(space))
	for i, prm := range space {
		gv, bv := column(history, good, i), column(history, bad, i)
		e := &estimators{}
		switch prm.Kind {
		case Choice:
			e.l, e.g = newCategorical(gv, gw, prm.N), newCategorical(bv, bw, prm.N)
		default:
			lo, hi := prm.Low, prm.High
			if prm.Kind == LogUniform {
				lo, hi = math.Log(lo), math.Log(hi)
				logAll(gv)
				logAll(bv)
			}
			mu, sigma := (lo+hi)/2, hi-lo
			e.l = adaptiveParzen(gv, gw, mu, sigma, lo, hi)
			e.g = adaptiveParzen(bv, bw, mu, sigma, lo, hi)
		}
		models[i] = e
	}
	return models
}

// split returns the indices, in history order, of the good trials (the
// n_good lowest finite losses, ties going to the earlier trial) and of the
// bad ones (the other finite losses and every failed trial), where
// n_good = min(ceil(gamma·sqrt(n)), 25) for n finite losses.
func split(history []Trial, gamma float64) (good, bad []int) {
	var fin []int
	for i, t := range history {
		if isFinite(t.Loss) {
			fin = append(fin, i)
		}
	}
	nGood := min(int(math.Ceil(gamma*math.Sqrt(float64(len(fin))))), forgetLast, len(fin))
	if nGood < 1 && len(fin) > 0 {
		nGood = 1
	}
	sort.SliceStable(fin, func(a, b int) bool { return history[fin[a]].Loss < history[fin[b]].Loss })
	isGood := make([]bool, len(history))
	for _, i := range fin[:nGood] {
		isGood[i] = true
	}
	for i := range history {
		if isGood[i] {
			good = append(good, i)
		} else {
			bad = append(bad, i)
		}
	}
	return good, bad
}

// column returns parameter i's values of the trials idx.
func column(history []Trial, idx []int, i int) []float64 {
	v := make([]float64, len(idx))
	for j, t := range idx {
		v[j] = history[t].Point[i]
	}
	return v
}

func logAll(v []float64) {
	for i := range v {
		v[i] = math.Log(v[i])
	}
}
