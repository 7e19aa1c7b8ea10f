package align

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/noise"
)

// SignMode selects a sign-symmetry rule, which sets B = sign(W)·M before
// every forward pass (Liao, Leibo & Poggio 2016; Xiao et al. 2018). The
// magnitudes M are scaled so that B has the second moment of the layer's
// initialisation, E[B²] = σ² with σ its nn.Untied.InitStd (He's √(2/fanIn),
// fanIn = len(W)/W.Shape[0]: dense In, conv In·K·K; or Xavier's); sign(0) = 0.
type SignMode int

const (
	// NoSign leaves B alone.
	NoSign SignMode = iota
	// SignUniform is uSF, uniform magnitudes: M = σ for every element, so
	// B² is exactly σ².
	SignUniform
	// SignBatchRandom is brSF, batch-random magnitudes: M ~ U[0, √3·σ)
	// i.i.d. (√(6/fanIn) for He's σ), redrawn every batch (every Before),
	// so E[B²] = σ².
	SignBatchRandom
	// SignFixedRandom is frSF, fixed random magnitudes: M ~ U[0, √3·σ)
	// i.i.d., drawn once in New and kept.
	SignFixedRandom
)

func (m SignMode) String() string {
	switch m {
	case NoSign:
		return "none"
	case SignUniform:
		return "usf"
	case SignBatchRandom:
		return "brsf"
	case SignFixedRandom:
		return "frsf"
	}
	return fmt.Sprintf("SignMode(%d)", int(m))
}

// Dist is the distribution of alignment-input noise (core/noise's, shared
// with the update noise of core/optim).
type Dist = noise.Dist

const (
	// Normal draws N(0, σ²).
	Normal = noise.Normal
	// Uniform draws U(−√3σ, √3σ), which has variance σ².
	Uniform = noise.Uniform
)

// InputNoise replaces the alignment loss's input x by noise of x's shape
// (for a conv layer [N, C, H, W], so positions are noise too), drawn afresh
// every step: Weight Mirror's original form. The values depend only on
// New's seed, the step and the layer (core/noise's Filler), so a run
// resumed from a checkpoint draws what an uninterrupted one drew, on any
// number of threads. The task forward and backward passes still use the data.
type InputNoise struct {
	Dist  Dist // no default: the zero value is rejected
	Sigma float64
}

// String names the noise as tables print it ("normal σ=1"); "" for nil,
// the data itself.
func (n *InputNoise) String() string {
	if n == nil {
		return ""
	}
	return fmt.Sprintf("%v σ=%g", n.Dist, n.Sigma)
}

// Spec describes a learning rule.
type Spec struct {
	Name  string
	Terms []Term // the alignment loss R = Scale·Σ Coef·R_prim per layer
	// Route is the backward route New sets on every layer: BackpropRoute
	// for bp, FeedbackRoute otherwise.
	Route nn.Route
	// TrainB says an optimizer must apply B.Grad (wm, ia, sa, aa, kp and any
	// custom composition). The runner builds the B optimizer only then.
	TrainB bool
	// KolenPollack adds W's task gradient dW (read from W.Grad in
	// AfterBackward) to B.Grad, unscaled. W.Grad holds only the task
	// gradient then: weight decay is added by the task optimizer, so
	// Kolen-Pollack's "W gets the same decay" means the task optimizer's
	// WeightDecay = 2·α·Scale, α the Decay coefficient (the gradient of
	// α·ΣB² is 2αB). Then, under plain SGD, W − B shrinks by (1 − lr·2α·Scale)
	// each step.
	KolenPollack bool
	Sign         SignMode
	// Direct is direct feedback alignment (Nøkland 2016): every layer's
	// input gradient is dx[n] = e[n]·D, e = dL/dlogits the network's output
	// error (Rule.BeforeBackward) and D a fixed random [classes, input size]
	// matrix of the layer (Rule.Projection), instead of dy·B. B is not read
	// and not trained. It needs the feedback route and no term, Kolen-Pollack
	// or sign mode.
	Direct bool
	// Local reports whether every term reads only what a synapse can see
	// (documentation and tables only).
	Local bool
	// Scale multiplies every term's coefficient (not KP's transport of
	// dW): the alignment time scale, see ScaleFor. 0 means 1.
	Scale      float64
	InputNoise *InputNoise
	// InputBatch, when > 0, is how many samples a step the activity terms
	// (Amp, Null, Sparse, NullBack) read: noise of that many samples under
	// InputNoise, else the first InputBatch samples of the layer's input
	// (a batch is in random order, so they are a random subset); 0, or at
	// least the batch, reads as many as the batch has. Every term divides
	// by the samples it reads, so B's expected gradient and the fixed
	// points stay as they are and only the estimate's variance grows,
	// which B averages over its time scale; the terms' convolutions
	// shrink in proportion (docs/rules.md §4).
	InputBatch int
	// Normalize divides each layer's activity terms by an energy of the
	// batch, held constant: Sparse and NullBack (and Amp beside either, as
	// in AA and IA's reversed variant, so their fixed points keep their
	// scale: B = W, B = (α/2β)·(WWᵀ)⁻¹W) by the input energy tr Σ̂ (the
	// largest curvature Sparse can have), Null by the same energy of its
	// reconstruction. Their rate of change is then bounded by
	// 2·coefficient·Scale·lr whatever the layer's size and activity (times
	// W's squared norm for NullBack), so a scale derived for a short run
	// cannot make them diverge. Amp beside neither (WM, IA) is linear in B
	// and sets the scale of Decay's fixed point, so it is divided by W's
	// Rayleigh quotient ‖x∘W‖²/(N‖W‖²) instead: WM's B* = (β/2α)·W·Σ̂/ρ_W
	// keeps W's scale. Normalize changes nothing for Decay, Self or
	// Kolen-Pollack.
	Normalize bool
	// Center batch-centres the alignment input: every term sees
	// x − mean over the batch (per element) instead of x, so the activity
	// terms act on the inputs' covariance rather than their second moment,
	// whose mean direction dominates after a ReLU and slows every other
	// direction (as the reference code's batch-centring options). It costs
	// no extra product: centring commutes with the linear maps, so the
	// rule centres Pf and Pb over the batch instead of x.
	Center bool
}

// readsInput reports whether a term of s reads the layer's input: Amp,
// Null, Sparse or NullBack.
func (s Spec) readsInput() bool {
	for _, t := range s.Terms {
		if t.Prim == Amp || t.Prim == Null || t.Prim == Sparse || t.Prim == NullBack {
			return true
		}
	}
	return false
}

// Input names the alignment input as results record it (result.Config's
// AlignInput): "data" or the noise ("normal σ=1"), followed by ", 32 a
// step" under InputBatch.
func (s Spec) Input() string {
	in := "data"
	if s.InputNoise != nil {
		in = s.InputNoise.String()
	}
	if s.InputBatch > 0 {
		in += fmt.Sprintf(", %d a step", s.InputBatch)
	}
	return in
}

func (s Spec) scale() float64 {
	if s.Scale == 0 {
		return 1
	}
	return s.Scale
}

func (s Spec) check() error {
	if !(s.Scale >= 0) || math.IsInf(s.Scale, 0) {
		return fmt.Errorf("scale %v, want a finite number ≥ 0 (0 means 1)", s.Scale)
	}
	seen := map[Primitive]bool{}
	for _, t := range s.Terms {
		if t.Prim < 0 || t.Prim >= numPrimitives {
			return fmt.Errorf("unknown primitive %v", t.Prim)
		}
		if seen[t.Prim] {
			return fmt.Errorf("%v given twice", t.Prim)
		}
		seen[t.Prim] = true
		if err := t.Coef.check(); err != nil {
			return fmt.Errorf("%v: %v", t.Prim, err)
		}
	}
	trained := len(s.Terms) > 0 || s.KolenPollack
	switch {
	case s.Route != nn.FeedbackRoute && s.Route != nn.BackpropRoute:
		return fmt.Errorf("unknown route %d", int(s.Route))
	case trained && !s.TrainB:
		return errors.New("alignment terms or Kolen-Pollack without TrainB: nothing would apply B's gradient")
	case s.TrainB && !trained:
		return errors.New("TrainB without a term or Kolen-Pollack: B would get no gradient")
	case s.Sign < NoSign || s.Sign > SignFixedRandom:
		return fmt.Errorf("unknown sign mode %d", int(s.Sign))
	case s.Sign != NoSign && trained:
		return errors.New("sign symmetry overwrites B before every step; it takes no term")
	case s.Route == nn.BackpropRoute && (trained || s.Sign != NoSign):
		return errors.New("the backprop route never reads B; it takes no term or sign mode")
	case s.Direct && (s.Route != nn.FeedbackRoute || trained || s.TrainB || s.Sign != NoSign):
		return errors.New("direct feedback never reads B; it takes the feedback route and no term, Kolen-Pollack, TrainB or sign mode")
	}
	if n := s.InputNoise; n != nil {
		if n.Dist != Normal && n.Dist != Uniform {
			return fmt.Errorf("input noise distribution %v, want normal or uniform", n.Dist)
		}
		if !(n.Sigma >= 0) || math.IsInf(n.Sigma, 0) {
			return fmt.Errorf("input noise σ %v, want a finite number ≥ 0", n.Sigma)
		}
	}
	return s.checkInputBatch()
}

// checkInputBatch checks InputBatch: ≥ 0, and 0 unless a term reads the
// input.
func (s Spec) checkInputBatch() error {
	switch {
	case s.InputBatch < 0:
		return fmt.Errorf("input batch %d, want ≥ 0 (0: the whole batch)", s.InputBatch)
	case s.InputBatch == 1 && s.Center:
		return errors.New("input batch 1 with Center: one sample centred is zero")
	case s.InputBatch > 0 && !s.readsInput():
		return fmt.Errorf("input batch %d for a rule whose terms (%q) do not read the input", s.InputBatch, FormatTerms(s.Terms))
	}
	return nil
}

// Local reports whether all of terms are local (see Primitive.Local).
func Local(terms []Term) bool {
	for _, t := range terms {
		if !t.Prim.Local() {
			return false
		}
	}
	return true
}

// Custom returns the spec of a composition of terms (as from ParseTerms):
// feedback route, B trained, Local from the terms.
func Custom(name string, terms []Term) Spec {
	return Spec{Name: name, Terms: slices.Clone(terms), Route: nn.FeedbackRoute, TrainB: true, Local: Local(terms), Scale: 1}
}

func terms(kv ...any) []Term {
	var ts []Term
	for i := 0; i < len(kv); i += 2 {
		ts = append(ts, Term{Prim: kv[i].(Primitive), Coef: Const(kv[i+1].(float64))})
	}
	return ts
}

// The presets with the reference default coefficients (docs/rules.md §3).
//
//	bp          backprop: route W, B unused
//	fa          feedback alignment: route B, B fixed at its init
//	wm          Weight Mirror: decay 1e-3 + amp 1e-3 (local), its alignment
//	            input white noise N(0, 1) drawn afresh every step (Akrout et
//	            al.'s mirror mode; the reference code's input_distribution):
//	            B* = (β/2α)·Σ̂·W with Σ̂ ≈ I, so B keeps W's directions
//	wm-data     Weight Mirror on the layer's data input: Σ̂ is then the
//	            second moment of post-ReLU activity, nearly rank one, and B*
//	            far from W (kept as a variant and a row of the tables)
//	ia          Information Alignment: amp 2e-3 + null 1e-3 + decay 1e-3
//	            (local), on white noise N(0, 1) as wm
//	ia-data     Information Alignment on the layer's data input
//	ia-bwdnull  IA with Null on the backward reconstruction (reference
//	            reconstruction_reversal): amp 2e-3 + nullb 1e-3 + decay 1e-3.
//	            NullBack reconstructs through W, so it is non-local.
//	ia-ampr     IA with Amp on the reconstruction (reference
//	            reconstruction_amp): −(1/N)⟨x, Transpose(Pf, B)⟩, which by the
//	            adjoint identity ⟨x, Transpose(Pf, B)⟩ = ⟨Apply(x, B), Pf⟩ is
//	            exactly Amp: same R and gradient as ia up to rounding. It is
//	            kept for parity with the reference flags.
//	ia-sparse   IA with Sparse in place of Decay (reference use_sparse):
//	            amp 2e-3 + null 1e-3 + sparse 1e-3 (non-local).
//	sa          Symmetric Alignment: decay 1e-3 + self 2e-3
//	aa          Activation Alignment: sparse 1e-3 + amp 2e-3
//	kp          Kolen-Pollack: decay 1e-3, and B.Grad += dW (see Spec.KolenPollack)
//	usf, brsf, frsf  sign symmetry (see SignMode), B not trained
//	dfa         direct feedback alignment (see Spec.Direct): each layer's
//	            input gets a fixed random projection of the output error,
//	            B unused and not trained. Local in Nøkland's sense: a
//	            layer's update reads its own activity and an error sent to
//	            it by a fixed pathway from the output, no weight transport.
var presets = map[string]Spec{
	"bp":         {Route: nn.BackpropRoute, Local: false},
	"fa":         {Route: nn.FeedbackRoute, Local: true},
	"wm":         {Terms: terms(Decay, 1e-3, Amp, 1e-3), TrainB: true, Local: true, InputNoise: &whiteNoise},
	"wm-data":    {Terms: terms(Decay, 1e-3, Amp, 1e-3), TrainB: true, Local: true},
	"ia":         {Terms: terms(Amp, 2e-3, Null, 1e-3, Decay, 1e-3), TrainB: true, Local: true, InputNoise: &whiteNoise},
	"ia-data":    {Terms: terms(Amp, 2e-3, Null, 1e-3, Decay, 1e-3), TrainB: true, Local: true},
	"ia-bwdnull": {Terms: terms(Amp, 2e-3, NullBack, 1e-3, Decay, 1e-3), TrainB: true, Local: false},
	"ia-ampr":    {Terms: terms(Amp, 2e-3, Null, 1e-3, Decay, 1e-3), TrainB: true, Local: true},
	"ia-sparse":  {Terms: terms(Amp, 2e-3, Null, 1e-3, Sparse, 1e-3), TrainB: true, Local: false},
	"sa":         {Terms: terms(Decay, 1e-3, Self, 2e-3), TrainB: true, Local: false},
	"aa":         {Terms: terms(Sparse, 1e-3, Amp, 2e-3), TrainB: true, Local: false},
	"kp":         {Terms: terms(Decay, 1e-3), TrainB: true, KolenPollack: true, Local: true},
	"usf":        {Sign: SignUniform, Local: false},
	"brsf":       {Sign: SignBatchRandom, Local: false},
	"frsf":       {Sign: SignFixedRandom, Local: false},
	"dfa":        {Route: nn.FeedbackRoute, Direct: true, Local: true},
}

// whiteNoise is the alignment input of the wm and ia presets: N(0, 1),
// fresh every step. Preset hands out a copy.
var whiteNoise = InputNoise{Dist: Normal, Sigma: 1}

// Presets returns the names Preset accepts, sorted.
func Presets() []string {
	var names []string
	for n := range presets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Preset returns the named rule with its reference coefficients and Scale 1.
// Locality follows the paper: KP is local (its B update is W's own
// gradient), sign symmetry reads W's signs and is not.
func Preset(name string) (Spec, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	s, ok := presets[key]
	if !ok {
		return Spec{}, fmt.Errorf("align: unknown rule %q (known: %s)", name, strings.Join(Presets(), ", "))
	}
	s.Name = key
	s.Terms = slices.Clone(s.Terms)
	if s.InputNoise != nil {
		n := *s.InputNoise
		s.InputNoise = &n
	}
	s.Scale = 1
	return s, nil
}

// WithCoefficients returns s with the coefficients of some of its terms
// replaced (as from ParseTerms, e.g. "amp=2e-3" on wm): a preset keeps its
// name, route, locality and input, only the numbers change, which is what a
// metaparameter search varies. A primitive s does not have is an error:
// a different set of terms is another rule (a custom composition).
func (s Spec) WithCoefficients(over []Term) (Spec, error) {
	s.Terms = slices.Clone(s.Terms)
	for _, o := range over {
		i := slices.IndexFunc(s.Terms, func(t Term) bool { return t.Prim == o.Prim })
		if i < 0 {
			return s, fmt.Errorf("align: rule %q has no %v term (it has %s); a different set of terms is a custom rule", s.Name, o.Prim, FormatTerms(s.Terms))
		}
		s.Terms[i].Coef = o.Coef
	}
	return s, nil
}

// DefaultTimeFraction is the alignment time scale τ/T of the paper's
// ImageNet recipe, about 1 % of training (docs/rules.md §5).
const DefaultTimeFraction = 0.01

// restoring returns the unscaled coefficient that sets how fast B relaxes
// to its fixed point: the Decay coefficient, or the Sparse one without Decay.
func (s Spec) restoring() (float64, Primitive, error) {
	for _, p := range []Primitive{Decay, Sparse} {
		for _, t := range s.Terms {
			if t.Prim == p && t.Coef.Value > 0 {
				return t.Coef.Value, p, nil
			}
		}
	}
	return 0, 0, fmt.Errorf("align: rule %q has no positive decay or sparse term, so no alignment time scale", s.Name)
}

// TimeScale returns the alignment time constant τ in steps of a rule under
// SGD at learning rate lr (the base rate of the schedule):
//
//	τ = 1/(2·α·Scale·lr)
//
// with α the Decay coefficient (at the end of its ramp). Under SA (and KP,
// WM, IA) B − B* shrinks by (1 − 2α·Scale·lr) a step, hence τ. A rule
// without Decay uses its Sparse coefficient: under AA the error B − W decays
// as (B − W)(I − 2α·Scale·lr·Σ̂), Σ̂ = xᵀx/N, so this τ is exact along input
// directions of unit variance (per position, for a conv) and scales as 1/λ
// along others. Rules with neither have no time scale (an error).
func TimeScale(s Spec, lr float64) (float64, error) {
	a, _, err := s.restoring()
	if err != nil {
		return 0, err
	}
	if !(lr > 0) {
		return 0, fmt.Errorf("align: learning rate %v, want > 0", lr)
	}
	return 1 / (2 * a * s.scale() * lr), nil
}

// ScaleFor returns the Scale that makes the time scale of s a given
// fraction of a run of totalSteps at learning rate lr, τ/T = fraction
// (DefaultTimeFraction if fraction is 0): Scale = 1/(2·α·lr·fraction·T).
// It ignores s.Scale. Set it with s.Scale = scale, which keeps the ratios of
// the coefficients, and record it with the results.
func ScaleFor(s Spec, lr float64, totalSteps int, fraction float64) (float64, error) {
	if fraction == 0 {
		fraction = DefaultTimeFraction
	}
	if !(fraction > 0) || totalSteps <= 0 {
		return 0, fmt.Errorf("align: time fraction %v over %d steps, want both > 0", fraction, totalSteps)
	}
	s.Scale = 1
	tau, err := TimeScale(s, lr)
	if err != nil {
		return 0, err
	}
	return tau / (fraction * float64(totalSteps)), nil
}
