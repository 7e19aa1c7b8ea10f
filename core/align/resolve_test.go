package align

import (
	"math"
	"strings"
	"testing"
)

// TestResolve checks the scale Resolve derives: τ/T as asked, the floors,
// Kolen-Pollack's raw coefficient, a composition without a restoring term,
// an explicit scale; and that terms on a preset replace its coefficients.
func TestResolve(t *testing.T) {
	const lr = 0.05
	tau := func(s Spec) float64 { v, _ := TimeScale(s, lr); return v }
	for _, c := range []struct {
		name      string
		req       Request
		wantTau   float64 // 0: check wantScale
		wantScale float64
	}{
		{"sa at 1 %", Request{Rule: "sa", LR: lr, TotalSteps: 10000, TimeFraction: 0.01}, 100, 0},
		{"sa at the floor", Request{Rule: "sa", LR: lr, TotalSteps: 400, TimeFraction: 0.01}, minTau, 0},
		{"aa normalised floor", Request{Rule: "aa", Normalize: true, LR: lr, TotalSteps: 400, TimeFraction: 0.001}, minNormalizedTau, 0},
		{"kp raw", Request{Rule: "kp", LR: lr, TotalSteps: 400}, 0, 1},
		{"explicit", Request{Rule: "wm", Scale: 7, LR: lr, TotalSteps: 400}, 0, 7},
		{"no restoring term", Request{Rule: "custom", Terms: []Term{{Prim: Amp, Coef: Const(1e-3)}}, LR: lr, TotalSteps: 400}, 0, 1},
	} {
		s, err := Resolve(c.req)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if c.wantTau > 0 && math.Abs(tau(s)-c.wantTau) > 1e-9*c.wantTau {
			t.Errorf("%s: τ %v, want %v", c.name, tau(s), c.wantTau)
		}
		if c.wantTau == 0 && s.Scale != c.wantScale {
			t.Errorf("%s: scale %v, want %v", c.name, s.Scale, c.wantScale)
		}
	}

	s, err := Resolve(Request{Rule: "wm", Terms: []Term{{Prim: Amp, Coef: Const(2e-3)}}, Scale: 1})
	if err != nil || s.Name != "wm" || s.InputNoise == nil || FormatTerms(s.Terms) != "decay=0.001,amp=0.002" {
		t.Errorf("wm with amp=2e-3: %v %s, input %v, %v; want wm's decay, amp 2e-3, white noise", s.Name, FormatTerms(s.Terms), s.InputNoise, err)
	}
	s, err = Resolve(Request{Rule: "wm-data", InputNoise: &InputNoise{Dist: Uniform, Sigma: 2}, Scale: 1})
	if err != nil || s.InputNoise.String() != "uniform σ=2" {
		t.Errorf("wm-data with uniform input noise: input %v, %v", s.InputNoise, err)
	}
	for _, bad := range []Request{
		{Rule: "bp", Terms: []Term{{Prim: Decay, Coef: Const(1)}}},
		{Rule: "wm", Terms: []Term{{Prim: Sparse, Coef: Const(1)}}},
		{Rule: "custom"},
		{Rule: "nosuch"},
		{Rule: "sa", Scale: math.NaN()},
	} {
		if _, err := Resolve(bad); err == nil || !strings.HasPrefix(err.Error(), "align: ") {
			t.Errorf("Resolve(%+v) = %v, want an align: error", bad, err)
		}
	}
}
