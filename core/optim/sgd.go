package optim

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/noise"
)

// Filter selects the parameters an optimizer updates.
type Filter func(*nn.Param) bool

// OnlyKinds selects parameters of the given kinds, e.g. OnlyKinds(nn.Feedback)
// for the optimizer of the alignment loss.
func OnlyKinds(kinds ...nn.Kind) Filter {
	kinds = slices.Clone(kinds)
	return func(p *nn.Param) bool { return slices.Contains(kinds, p.Kind) }
}

// ExceptKinds selects parameters of any kind but the given ones, e.g.
// ExceptKinds(nn.Feedback) for the task optimizer beside an alignment one.
func ExceptKinds(kinds ...nn.Kind) Filter {
	kinds = slices.Clone(kinds)
	return func(p *nn.Param) bool { return !slices.Contains(kinds, p.Kind) }
}

// SGDConfig configures an SGD optimizer.
type SGDConfig struct {
	// LR is the learning-rate schedule; required.
	LR Schedule
	// Momentum μ in [0, 1); 0 is plain SGD.
	Momentum float64
	// Nesterov selects Nesterov momentum.
	Nesterov bool
	// WeightDecay is the L2 coefficient wd ≥ 0 added to the gradient of
	// forward weights W (Kind nn.Forward) only: never to feedback weights,
	// BatchNorm parameters or biases. The paper's recipe uses 1e-4.
	WeightDecay float64
	// Filter selects which of the given parameters to update; nil takes all.
	Filter Filter
	// Noise, if not nil, adds update noise after every step.
	Noise *Noise
}

// SGD is stochastic gradient descent with momentum in the form of
// TensorFlow's MomentumOptimizer, which the reference code uses. Per element,
// with g the gradient (plus wd·w for forward weights), μ the momentum and lr
// the scheduled rate of the step:
//
//	v ← μ·v + g
//	w ← w − lr·v            (plain)
//	w ← w − lr·(g + μ·v)    (Nesterov, with the updated v)
//
// then, with Noise, w ← w + lr·ε at the noise site. Velocities start at 0.
//
// SGD reads each parameter's Grad and never writes it. Two optimizers given
// the same parameter would both apply its Grad; split parameters between
// optimizers with Filter.
type SGD struct {
	params   []*nn.Param
	vel      [][]float32
	noisy    []bool // per param: at the noise site
	sched    Schedule
	mu       float32
	nesterov bool
	wd       float32
	noise    *Noise // a copy, or nil
	draw     noise.Filler
	step     int
}

// NewSGD returns an optimizer for the params that cfg.Filter selects, in
// their given order. Every selected parameter needs a unique, non-empty
// Name (State is keyed by it) and a Grad as long as its Value. It is an
// error to select no parameter, or to ask for noise at SiteB when no
// selected parameter is a feedback weight: either would silently do nothing.
func NewSGD(params []*nn.Param, cfg SGDConfig) (*SGD, error) {
	if cfg.LR == nil {
		return nil, errors.New("optim: no learning-rate schedule")
	}
	if err := checkBase(cfg.LR.LR(0)); err != nil {
		return nil, fmt.Errorf("%w (at step 0)", err)
	}
	if !(cfg.Momentum >= 0 && cfg.Momentum < 1) {
		return nil, fmt.Errorf("optim: momentum %v outside [0, 1)", cfg.Momentum)
	}
	if !(cfg.WeightDecay >= 0) || math.IsInf(cfg.WeightDecay, 0) {
		return nil, fmt.Errorf("optim: weight decay %v is not a finite number ≥ 0", cfg.WeightDecay)
	}
	o := &SGD{
		sched:    cfg.LR,
		mu:       float32(cfg.Momentum),
		nesterov: cfg.Nesterov,
		wd:       float32(cfg.WeightDecay),
	}
	names := make(map[string]bool)
	for i, p := range params {
		if p == nil {
			return nil, fmt.Errorf("optim: parameter %d is nil", i)
		}
		if cfg.Filter != nil && !cfg.Filter(p) {
			continue
		}
		switch {
		case p.Name == "":
			return nil, fmt.Errorf("optim: parameter %d (%v) has no name", i, p.Kind)
		case names[p.Name]:
			return nil, fmt.Errorf("optim: parameter name %q used twice", p.Name)
		case p.Value == nil || p.Grad == nil:
			return nil, fmt.Errorf("optim: parameter %q lacks a value or a gradient", p.Name)
		case p.Grad.Len() != p.Value.Len():
			return nil, fmt.Errorf("optim: parameter %q has %d values but %d gradients", p.Name, p.Value.Len(), p.Grad.Len())
		}
		names[p.Name] = true
		o.params = append(o.params, p)
		o.vel = append(o.vel, make([]float32, p.Value.Len()))
	}
	if len(o.params) == 0 {
		return nil, fmt.Errorf("optim: no parameter selected out of %d", len(params))
	}
	o.noisy = make([]bool, len(o.params))
	if cfg.Noise != nil {
		n := *cfg.Noise
		if err := n.check(); err != nil {
			return nil, err
		}
		found := false
		for i, p := range o.params {
			o.noisy[i] = n.Site == SiteAll || p.Kind == nn.Feedback
			found = found || o.noisy[i]
		}
		if !found {
			return nil, errors.New("optim: noise site b, but the optimizer updates no feedback weight")
		}
		o.noise = &n
		o.draw = noise.Filler{Dist: n.Dist, Sigma: math.Sqrt(n.Variance)}
	}
	return o, nil
}

// Params returns the parameters o updates, in order. The slice is o's own.
func (o *SGD) Params() []*nn.Param { return o.params }

// Steps returns the number of steps taken.
func (o *SGD) Steps() int { return o.step }

// LR returns the rate the next Step will use.
func (o *SGD) LR() float64 { return o.sched.LR(o.step) }

// Step applies one update from the parameters' gradients, then the update
// noise if any, and advances the step counter. It allocates nothing.
func (o *SGD) Step() {
	lr64 := o.sched.LR(o.step)
	lr := float32(lr64)
	for i, p := range o.params {
		w := p.Value.Data[:p.Value.Len()]
		g := p.Grad.Data[:len(w)]
		v := o.vel[i]
		wd := float32(0)
		if p.Kind == nn.Forward {
			wd = o.wd
		}
		if o.nesterov {
			nesterov(w, g, v, lr, o.mu, wd)
		} else {
			momentum(w, g, v, lr, o.mu, wd)
		}
		if o.noisy[i] && o.noise.Variance > 0 {
			// ε for parameter i at this step: a resumed run draws the same.
			o.draw.Add(w, lr64, o.noise.Seed, uint64(o.step), uint64(i))
		}
	}
	o.step++
}

// momentum is one plain momentum step:
//
//	for i := range w {
//		gi := g[i] + wd*w[i]
//		v[i] = mu*v[i] + gi
//		w[i] -= lr * v[i]
//	}
//
// with the wd term left out entirely when wd is 0.
func momentum(w, g, v []float32, lr, mu, wd float32) {
	g, v = g[:len(w)], v[:len(w)]
	if wd == 0 {
		for i := range w {
			v[i] = mu*v[i] + g[i]
			w[i] -= lr * v[i]
		}
		return
	}
	for i := range w {
		v[i] = mu*v[i] + (g[i] + wd*w[i])
		w[i] -= lr * v[i]
	}
}

// nesterov is one Nesterov momentum step:
//
//	for i := range w {
//		gi := g[i] + wd*w[i]
//		v[i] = mu*v[i] + gi
//		w[i] -= lr * (gi + mu*v[i])
//	}
//
// with the wd term left out entirely when wd is 0.
func nesterov(w, g, v []float32, lr, mu, wd float32) {
	g, v = g[:len(w)], v[:len(w)]
	if wd == 0 {
		for i := range w {
			gi := g[i]
			v[i] = mu*v[i] + gi
			w[i] -= lr * (gi + mu*v[i])
		}
		return
	}
	for i := range w {
		gi := g[i] + wd*w[i]
		v[i] = mu*v[i] + gi
		w[i] -= lr * (gi + mu*v[i])
	}
}
