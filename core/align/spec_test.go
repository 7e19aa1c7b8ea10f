package align

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

func TestPresets(t *testing.T) {
	type want struct {
		terms  string
		route  nn.Route
		trainB bool
		kp     bool
		sign   SignMode
		local  bool
		noise  string // the alignment input: "" for the data
	}
	fb, bp := nn.FeedbackRoute, nn.BackpropRoute
	wants := map[string]want{
		"bp":         {"", bp, false, false, NoSign, false, ""},
		"fa":         {"", fb, false, false, NoSign, true, ""},
		"wm":         {"decay=0.001,amp=0.001", fb, true, false, NoSign, true, "normal σ=1"},
		"wm-data":    {"decay=0.001,amp=0.001", fb, true, false, NoSign, true, ""},
		"ia":         {"amp=0.002,null=0.001,decay=0.001", fb, true, false, NoSign, true, "normal σ=1"},
		"ia-data":    {"amp=0.002,null=0.001,decay=0.001", fb, true, false, NoSign, true, ""},
		"ia-bwdnull": {"amp=0.002,nullb=0.001,decay=0.001", fb, true, false, NoSign, false, ""},
		"ia-ampr":    {"amp=0.002,null=0.001,decay=0.001", fb, true, false, NoSign, true, ""},
		"ia-sparse":  {"amp=0.002,null=0.001,sparse=0.001", fb, true, false, NoSign, false, ""},
		"sa":         {"decay=0.001,self=0.002", fb, true, false, NoSign, false, ""},
		"aa":         {"sparse=0.001,amp=0.002", fb, true, false, NoSign, false, ""},
		"kp":         {"decay=0.001", fb, true, true, NoSign, true, ""},
		"usf":        {"", fb, false, false, SignUniform, false, ""},
		"brsf":       {"", fb, false, false, SignBatchRandom, false, ""},
		"frsf":       {"", fb, false, false, SignFixedRandom, false, ""},
		"dfa":        {"", fb, false, false, NoSign, true, ""},
	}
	var names []string
	for n := range wants {
		names = append(names, n)
	}
	slices.Sort(names)
	if diff := cmp.Diff(names, Presets()); diff != "" {
		t.Errorf("Presets() mismatch (-want +got):\n%s", diff)
	}
	for name, w := range wants {
		s, err := Preset(strings.ToUpper(name))
		if err != nil {
			t.Fatalf("Preset(%q): %v", name, err)
		}
		got := want{FormatTerms(s.Terms), s.Route, s.TrainB, s.KolenPollack, s.Sign, s.Local, s.InputNoise.String()}
		if got != w {
			t.Errorf("Preset(%q) = %+v, want %+v", name, got, w)
		}
		if s.Direct != (name == "dfa") {
			t.Errorf("Preset(%q).Direct = %v", name, s.Direct)
		}
		if s.Name != name || s.Scale != 1 {
			t.Errorf("Preset(%q): name %q scale %v", name, s.Name, s.Scale)
		}
		if s.KolenPollack == false && s.Sign == NoSign && len(s.Terms) > 0 && s.Local != Local(s.Terms) {
			t.Errorf("Preset(%q).Local = %v, terms say %v", name, s.Local, Local(s.Terms))
		}
		// New accepts every preset and sets the route.
		u := nn.NewDense("d", 3, 2, false, rand.New(rand.NewPCG(1, 1)))
		u.SetRoute(1 - s.Route)
		if _, err := New(s, []nn.Untied{u}, 10, 1); err != nil {
			t.Errorf("New(%q): %v", name, err)
		}
		if s.Direct {
			continue // its transport has its own tests (dfa_test.go)
		}
		x, dy := tensor.New(2, 3), tensor.FromData([]float32{1, 2, 3, 4}, 2, 2)
		u.Forward(x, true)
		dx := u.Backward(dy)
		wp, bp := u.Weights()
		via := wp
		if s.Route == nn.FeedbackRoute {
			via = bp
		}
		if dx.Data[0] != dy.Data[0]*via.Value.Data[0]+dy.Data[1]*via.Value.Data[3] {
			t.Errorf("New(%q) did not set route %v", name, s.Route)
		}
	}
	// Presets are copies.
	a, _ := Preset("sa")
	a.Terms[0].Coef.Value = 7
	if b, _ := Preset("sa"); b.Terms[0].Coef.Value != 1e-3 {
		t.Errorf("Preset returned shared terms")
	}
	if _, err := Preset("xx"); err == nil || !strings.Contains(err.Error(), "sa") {
		t.Errorf("Preset(xx) error = %v, want a list of names", err)
	}
}

func TestSpecErrors(t *testing.T) {
	u := nn.NewDense("d", 3, 2, false, rand.New(rand.NewPCG(1, 1)))
	sa, _ := Preset("sa")
	bad := map[string]Spec{
		"untrained terms": {Terms: sa.Terms},
		"trainB nothing":  {TrainB: true},
		"sign and terms":  {Terms: sa.Terms, TrainB: true, Sign: SignUniform},
		"bp and terms":    {Terms: sa.Terms, TrainB: true, Route: nn.BackpropRoute},
		"negative scale":  {Terms: sa.Terms, TrainB: true, Scale: -1},
		"twice":           {Terms: append(slices.Clone(sa.Terms), sa.Terms[0]), TrainB: true},
		"noise dist":      {Terms: sa.Terms, TrainB: true, InputNoise: &InputNoise{Sigma: 1}},
		"exp from 0":      {Terms: []Term{{Decay, Coef{Value: 1, Ramp: Exp, Stop: 1}}}, TrainB: true},
		"ramp order":      {Terms: []Term{{Decay, Coef{Value: 1, Ramp: Linear, Start: 0.5, Stop: 0.2}}}, TrainB: true},
		"dfa and terms":   {Terms: sa.Terms, TrainB: true, Direct: true},
		"dfa and kp":      {TrainB: true, KolenPollack: true, Terms: sa.Terms[:1], Direct: true},
		"dfa and sign":    {Sign: SignUniform, Direct: true},
		"dfa on bp":       {Route: nn.BackpropRoute, Direct: true},
	}
	for name, s := range bad {
		if _, err := New(s, []nn.Untied{u}, 10, 1); err == nil {
			t.Errorf("New(%s) succeeded, want an error", name)
		}
	}
	ramp := Spec{Terms: []Term{{Decay, Coef{Value: 1, Ramp: Linear, Stop: 1}}}, TrainB: true}
	if _, err := New(ramp, []nn.Untied{u}, 0, 1); err == nil {
		t.Errorf("New with a ramp and 0 steps succeeded")
	}
	if _, err := New(sa, nil, 10, 1); err == nil {
		t.Errorf("New without layers succeeded")
	}
}

func TestCoef(t *testing.T) {
	tests := []struct {
		c    Coef
		p    float64
		want float64
	}{
		{Const(2), 0.7, 2},
		{Coef{Value: 2, Ramp: Linear, From: 0, Start: 0.2, Stop: 0.6}, 0, 0},
		{Coef{Value: 2, Ramp: Linear, From: 0, Start: 0.2, Stop: 0.6}, 0.2, 0},
		{Coef{Value: 2, Ramp: Linear, From: 0, Start: 0.2, Stop: 0.6}, 0.3, 0.5},
		{Coef{Value: 2, Ramp: Linear, From: 0.5, Start: 0.2, Stop: 0.6}, 0.4, 1.5},
		{Coef{Value: 2, Ramp: Linear, From: 0, Start: 0.2, Stop: 0.6}, 0.6, 2},
		{Coef{Value: 2, Ramp: Linear, From: 3, Start: 0, Stop: 0.5}, 0.25, 4},
		{Coef{Value: 2, Ramp: Exp, From: 0.01, Start: 0, Stop: 1}, 0.5, 0.2},
		{Coef{Value: 2, Ramp: Exp, From: 0.01, Start: 0, Stop: 1}, 0, 0.02},
		{Coef{Value: 2, Ramp: Exp, From: 0.01, Start: 0, Stop: 1}, 1, 2},
		{Coef{Value: 2, Ramp: Linear, From: 0, Start: 0.5, Stop: 0.5}, 0.49, 0},
		{Coef{Value: 2, Ramp: Linear, From: 0, Start: 0.5, Stop: 0.5}, 0.5, 2},
	}
	for _, tt := range tests {
		// 4 ulp: a subtraction, a division and a product or Pow.
		if got := tt.c.At(tt.p); math.Abs(got-tt.want) > 4*u64*math.Abs(tt.want) {
			t.Errorf("%+v.At(%v) = %v, want %v", tt.c, tt.p, got, tt.want)
		}
	}
	// The rule evaluates coefficients at step/total, times Scale.
	u := nn.NewDense("d", 3, 2, false, rand.New(rand.NewPCG(1, 1)))
	s := Custom("r", []Term{{Decay, Coef{Value: 2, Ramp: Linear, Start: 0, Stop: 0.5}}})
	s.Scale = 3
	r, err := New(s, []nn.Untied{u}, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		step int
		want float64
	}{{0, 0}, {25, 3}, {50, 6}, {200, 6}, {-5, 0}} {
		if got := r.Coef(Decay, c.step); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("Coef(Decay, %d) = %v, want %v", c.step, got, c.want)
		}
	}
	if got := r.Coef(Amp, 0); got != 0 {
		t.Errorf("Coef(Amp) = %v for a rule without Amp", got)
	}
}

func TestParseTerms(t *testing.T) {
	got, err := ParseTerms(" decay=1e-3, SELF=2e-3,amp=4e-3@linear(0:0.1:0.5),null=1@exp(0.01:0:1)")
	if err != nil {
		t.Fatal(err)
	}
	want := []Term{
		{Decay, Const(1e-3)},
		{Self, Const(2e-3)},
		{Amp, Coef{Value: 4e-3, Ramp: Linear, From: 0, Start: 0.1, Stop: 0.5}},
		{Null, Coef{Value: 1, Ramp: Exp, From: 0.01, Start: 0, Stop: 1}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseTerms mismatch (-want +got):\n%s", diff)
	}
	back, err := ParseTerms(FormatTerms(got))
	if err != nil || !cmp.Equal(back, got) {
		t.Errorf("round trip of %q: %v, %v", FormatTerms(got), back, err)
	}
	for _, s := range []string{"", "decay", "decay=x", "mirror=1", "decay=1,decay=2", "amp=1@linear(0:1)",
		"amp=1@cosine(0:0:1)", "amp=1@exp(0:0:1)", "amp=1@linear(0:0.5:0.2)", "amp=1@linear(0:0:1"} {
		_, err := ParseTerms(s)
		if err == nil {
			t.Errorf("ParseTerms(%q) succeeded", s)
			continue
		}
		if s != "" && !strings.Contains(err.Error(), strings.Split(s, ",")[len(strings.Split(s, ","))-1]) {
			t.Errorf("ParseTerms(%q) error %q does not name the term", s, err)
		}
	}
	_, err = ParseTerms("decay=1,mirror=2")
	if err == nil || !strings.Contains(err.Error(), "decay, amp, null, sparse, self, nullb") {
		t.Errorf("unknown-primitive error %v does not list the primitives", err)
	}
}

// TestTimeScale checks τ = 1/(2·α·Scale·lr) on the time-scale figures of docs/rules.md §5.
func TestTimeScale(t *testing.T) {
	tests := []struct {
		rule  string
		lr    float64
		scale float64
		want  float64
	}{
		{"sa", 0.1, 1, 5000},   // the paper's ImageNet recipe
		{"sa", 0.05, 1, 10000}, // the Fashion-MNIST run, defaults
		{"sa", 0.05, 100, 100},
		{"sa", 0.05, 1000, 10},
		{"aa", 0.05, 1, 10000}, // by the Sparse coefficient
		{"kp", 0.1, 1, 5000},
		{"wm", 0.1, 2, 2500},
	}
	for _, tt := range tests {
		s, _ := Preset(tt.rule)
		s.Scale = tt.scale
		got, err := TimeScale(s, tt.lr)
		if err != nil || math.Abs(got-tt.want) > 1e-12*tt.want {
			t.Errorf("TimeScale(%s ×%v, lr %v) = %v, %v; want %v", tt.rule, tt.scale, tt.lr, got, err, tt.want)
		}
	}
	s, _ := Preset("sa")
	sc, err := ScaleFor(s, 0.05, 938, 0)
	if want := 10000 / 9.38; err != nil || math.Abs(sc-want) > 1e-12*want {
		t.Errorf("ScaleFor(sa, 0.05, 938) = %v, %v; want %v", sc, err, want)
	}
	for _, name := range []string{"fa", "bp", "usf"} {
		s, _ := Preset(name)
		if _, err := TimeScale(s, 0.1); err == nil {
			t.Errorf("TimeScale(%s) succeeded", name)
		}
	}
}
