package tune

import (
	"math"
	"sort"
)

// forgetLast is hyperopt's linear-forgetting horizon (its LF, default 25):
// the newest 25 observations weigh 1, older ones ramp linearly down to 1/n.
// It also caps the size of the good set (see split).
const forgetLast = 25

// forgetting returns the weights of n observations in history order
// (hyperopt's linear_forgetting_weights).
func forgetting(n int) []float64 {
	w := make([]float64, n)
	ramp := n - forgetLast
	for i := range w {
		switch {
		case i >= ramp:
			w[i] = 1
		case ramp == 1:
			w[i] = 1 / float64(n)
		default: // linspace(1/n, 1, ramp)
			lo := 1 / float64(n)
			w[i] = lo + (1-lo)*float64(i)/float64(ramp-1)
		}
	}
	return w
}

// mixture is a Gaussian mixture truncated to [lo, hi]: the adaptive Parzen
// estimator of one continuous parameter, in its own space (log space for
// LogUniform).
type mixture struct {
	mu, sigma, w []float64 // w sums to 1
	lo, hi       float64
	logMass      float64 // log of the untruncated mass inside [lo, hi]
}

// adaptiveParzen builds the estimator of observations obs (weights ow) as
// hyperopt's adaptive_parzen_normal does: one component per observation
// plus the prior N(priorMu, priorSigma) with weight 1; each observation's
// bandwidth is the larger distance to its sorted neighbours (the prior's
// mean counts as a neighbour), clipped to
// [priorSigma/min(100, 1+components), priorSigma]; a lone observation gets
// priorSigma/2.
func adaptiveParzen(obs, ow []float64, priorMu, priorSigma, lo, hi float64) *mixture {
	n := len(obs)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return obs[order[a]] < obs[order[b]] })
	pos := sort.Search(n, func(i int) bool { return obs[order[i]] >= priorMu })

	m := n + 1
	mu := make([]float64, 0, m)
	w := make([]float64, 0, m)
	for i, j := range order {
		if i == pos {
			mu, w = append(mu, priorMu), append(w, 1)
		}
		mu, w = append(mu, obs[j]), append(w, ow[j])
	}
	if pos == n {
		mu, w = append(mu, priorMu), append(w, 1)
	}

	sigma := make([]float64, m)
	switch n {
	case 0:
	case 1:
		sigma[1-pos] = priorSigma / 2
	default:
		for i := 1; i < m-1; i++ {
			sigma[i] = math.Max(mu[i]-mu[i-1], mu[i+1]-mu[i])
		}
		sigma[0] = mu[1] - mu[0]
		sigma[m-1] = mu[m-1] - mu[m-2]
	}
	minSigma := priorSigma / math.Min(100, 1+float64(m))
	for i := range sigma {
		sigma[i] = math.Min(math.Max(sigma[i], minSigma), priorSigma)
	}
	sigma[pos] = priorSigma

	sum := 0.0
	for _, wi := range w {
		sum += wi
	}
	mass := 0.0
	for i := range w {
		w[i] /= sum
		mass += w[i] * (phi((hi-mu[i])/sigma[i]) - phi((lo-mu[i])/sigma[i]))
	}
	return &mixture{mu: mu, sigma: sigma, w: w, lo: lo, hi: hi, logMass: math.Log(mass)}
}

// phi is the standard normal CDF.
func phi(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// sample draws from the truncated mixture by rejection: pick a component,
// draw from it, keep the draw if it lies in [lo, hi]. Every component's
// mean lies in [lo, hi], so each attempt succeeds with probability at least
// about 1/2.
func (g *mixture) sample(s stream) float64 {
	for {
		i := s.pick(g.w)
		x := g.mu[i] + g.sigma[i]*s.normal()
		if x >= g.lo && x <= g.hi {
			return x
		}
	}
}

// logPDF is the log density of the truncated mixture at x in [lo, hi],
// summed in log space so that far-out points do not underflow to -Inf.
func (g *mixture) logPDF(x float64) float64 {
	const logSqrt2Pi = 0.91893853320467274178 // log(sqrt(2π))
	terms := make([]float64, len(g.mu))
	top := math.Inf(-1)
	for i := range g.mu {
		z := (x - g.mu[i]) / g.sigma[i]
		terms[i] = math.Log(g.w[i]) - 0.5*z*z - math.Log(g.sigma[i]) - logSqrt2Pi
		top = math.Max(top, terms[i])
	}
	sum := 0.0
	for _, t := range terms {
		sum += math.Exp(t - top)
	}
	return top + math.Log(sum) - g.logMass
}

// categorical is the smoothed estimator of a Choice parameter: the
// (forgetting-weighted) count of each option plus a pseudocount of 1 (the
// prior weight) for every option, normalised. This is hyperopt's rule
// (tpe_cat_pseudocounts: counts + N·prior_weight·p with p uniform). Spreading
// a single pseudocount over the options instead makes l(x) commit to the
// good set's one or two options at once; on the 4-D test objective that cut
// TPE's wins over random search from 14/20 seeds to 11/20.
type categorical struct{ p []float64 }

func newCategorical(obs, ow []float64, n int) *categorical {
	p := make([]float64, n)
	total := float64(n)
	for i := range p {
		p[i] = 1
	}
	for i, v := range obs {
		p[int(v)] += ow[i]
		total += ow[i]
	}
	for i := range p {
		p[i] /= total
	}
	return &categorical{p}
}

func (c *categorical) sample(s stream) float64 { return float64(s.pick(c.p)) }

func (c *categorical) logPDF(x float64) float64 { return math.Log(c.p[int(x)]) }
