package align

import (
	"fmt"
	"slices"
)

// Request is a rule as a user asks for it, before anything is derived:
// by name (a preset, or "custom" with its terms), with optional
// coefficients, input form and normalisation, and either an explicit scale
// of the coefficients or the time scale to derive it from. Resolve turns
// it into the Spec that New builds; every command that builds a rule goes
// through it, so a flag means the same in all of them.
type Request struct {
	// Rule is a preset (Presets) or "custom".
	Rule string
	// Terms is the composition of a custom rule; on a preset, coefficients
	// that replace its own (Spec.WithCoefficients).
	Terms []Term
	// Normalize and Center set Spec.Normalize and Spec.Center of a rule
	// that trains B.
	Normalize, Center bool
	// InputNoise, when not nil, replaces the preset's input form.
	InputNoise *InputNoise
	// InputBatch, when > 0, sets Spec.InputBatch: the samples a step the
	// activity terms read. On a rule without such a term it is an error.
	InputBatch int
	// Scale multiplies every coefficient; 0 derives it so that the time
	// scale τ is TimeFraction of TotalSteps at learning rate LR (see
	// ScaleFor), no shorter than a floor (MinTau).
	Scale        float64
	TimeFraction float64 // τ/T; 0 is DefaultTimeFraction
	LR           float64 // the base rate B learns at
	TotalSteps   int
}

// Resolve returns the Spec of a request. With Scale 0 the scale is derived
// from the time scale, with two exceptions: Kolen-Pollack keeps its raw
// coefficient (its decay applies to W too, see below), and a composition
// without a restoring term (no positive decay or sparse) has no time scale
// and keeps its raw coefficients.
func Resolve(req Request) (Spec, error) {
	spec, err := named(req.Rule, req.Terms)
	if err != nil {
		return spec, err
	}
	spec.InputBatch = req.InputBatch
	if err := spec.checkInputBatch(); err != nil {
		return spec, fmt.Errorf("align: rule %q: %v", spec.Name, err)
	}
	if !spec.TrainB {
		return spec, nil
	}
	spec.Normalize, spec.Center = req.Normalize, req.Center
	if req.InputNoise != nil {
		n := *req.InputNoise
		spec.InputNoise = &n
	}
	if !(req.Scale >= 0) {
		return spec, fmt.Errorf("align: scale %v, want ≥ 0", req.Scale)
	}
	spec.Scale = req.Scale
	if spec.Scale == 0 && spec.KolenPollack {
		// Kolen-Pollack aligns by decaying W and B alike; a decay fast
		// enough for a short run destroys W (quick profile, ResNet-18:
		// 28.5 % at the derived ×1000 with W decaying as B, 38.6 % with only
		// B decaying, 71.3 % with the raw coefficient), so it keeps the raw one.
		spec.Scale = 1
	}
	if spec.Scale == 0 {
		scale, err := ScaleFor(spec, req.LR, req.TotalSteps, req.TimeFraction)
		if err != nil {
			scale = 1 // no restoring term: the raw coefficients
		}
		spec.Scale = scale
		if tau, err := TimeScale(spec, req.LR); err == nil && tau < MinTau(spec) {
			spec.Scale *= tau / MinTau(spec)
		}
	}
	if err := spec.check(); err != nil {
		return spec, fmt.Errorf("align: rule %s: %w", spec.Name, err)
	}
	return spec, nil
}

// named returns the spec a rule's name and terms give: the custom
// composition, or the preset with some coefficients replaced (a preset
// that trains no alignment loss takes none).
func named(rule string, terms []Term) (Spec, error) {
	if rule == "custom" {
		if len(terms) == 0 {
			return Spec{}, fmt.Errorf("align: rule custom needs terms (e.g. \"decay=1e-3,self=2e-3\")")
		}
		return Custom("custom", terms), nil
	}
	spec, err := Preset(rule)
	if err != nil || len(terms) == 0 {
		return spec, err
	}
	if !spec.TrainB || spec.KolenPollack && len(spec.Terms) == 0 {
		return spec, fmt.Errorf("align: rule %s trains no alignment loss; give a composition with rule custom", rule)
	}
	return spec.WithCoefficients(terms)
}

// The floors of a derived time scale, in steps. SGD on a decay term
// diverges as 2α·Scale·lr approaches 1, and SA was measured stable at
// τ ≈ 10 steps. A rule whose time scale comes from a normalised Sparse
// term (AA) may go five times faster: normalisation bounds its rate by
// 2α·Scale·lr along the input's largest direction and makes it smaller
// along the others. Measured on the quick profile (ResNet-18 width 4, 375
// steps): AA at τ = 10, 3.3, 1.7 and 1 nominal steps reached 74.4, 77.8,
// 77.9 and 78.0 % top-1 (BP 81.7 %).
const (
	minTau           = 10
	minNormalizedTau = 2
)

// MinTau is the shortest time scale, in steps, that Resolve derives for s.
func MinTau(s Spec) float64 {
	if s.Normalize && !slices.ContainsFunc(s.Terms, func(t Term) bool { return t.Prim == Decay }) {
		return minNormalizedTau
	}
	return minTau
}
