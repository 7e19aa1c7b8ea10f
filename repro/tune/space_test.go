package tune

import (
	"math"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	good := Param{Name: "lr", Kind: LogUniform, Low: 1e-4, High: 1}
	with := func(ps ...Param) Space { return append(Space{good}, ps...) }
	for _, c := range []struct {
		name  string
		s     Space
		wants []string // substrings of the error; none means valid
	}{
		{"valid", with(Param{Name: "m", Kind: Uniform, Low: -1, High: 1}, Param{Name: "opt", Kind: Choice, N: 1}), nil},
		{"empty space", Space{}, []string{"no parameters"}},
		{"empty name", with(Param{Kind: Uniform, Low: 0, High: 1}), []string{"param 1", "empty name"}},
		{"duplicate name", with(Param{Name: "lr", Kind: Uniform, Low: 0, High: 1}), []string{`"lr"`, "duplicate name", "param 0"}},
		{"low > high", with(Param{Name: "m", Kind: Uniform, Low: 2, High: 1}), []string{`"m"`, "low (2)", "high (1)"}},
		{"low == high", with(Param{Name: "m", Kind: Uniform, Low: 1, High: 1}), []string{`"m"`, "low (1)", "high (1)"}},
		{"log low zero", with(Param{Name: "wd", Kind: LogUniform, Low: 0, High: 1}), []string{`"wd"`, "log-uniform low", "> 0"}},
		{"log low negative", with(Param{Name: "wd", Kind: LogUniform, Low: -1, High: 1}), []string{`"wd"`, "log-uniform low"}},
		{"NaN low", with(Param{Name: "m", Kind: Uniform, Low: math.NaN(), High: 1}), []string{`"m"`, "finite", "low=NaN"}},
		{"Inf high", with(Param{Name: "m", Kind: LogUniform, Low: 1, High: math.Inf(1)}), []string{`"m"`, "finite", "high=+Inf"}},
		{"choice n 0", with(Param{Name: "opt", Kind: Choice}), []string{`"opt"`, "choice n", "got 0"}},
		{"choice n negative", with(Param{Name: "opt", Kind: Choice, N: -2}), []string{`"opt"`, "choice n", "got -2"}},
		{"unknown kind", with(Param{Name: "x", Kind: "normal", Low: 0, High: 1}), []string{`"x"`, `unknown kind "normal"`}},
		{"missing kind", with(Param{Name: "x", Low: 0, High: 1}), []string{`"x"`, `unknown kind ""`}},
	} {
		err := c.s.Validate()
		if len(c.wants) == 0 {
			if err != nil {
				t.Errorf("%s: Validate(%v) = %v, want nil", c.name, c.s, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: Validate(%v) = nil, want an error mentioning %q", c.name, c.s, c.wants)
			continue
		}
		for _, w := range c.wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: Validate(%v) = %q, want it to mention %q", c.name, c.s, err, w)
			}
		}
	}
}

// TestSuggestBadHistory checks that a history point that does not belong
// to the space is refused with the trial index and the parameter named.
func TestSuggestBadHistory(t *testing.T) {
	ok := Point{1e-3, 1e-4, 0.5, 2}
	for _, c := range []struct {
		name  string
		p     Point
		wants []string
	}{
		{"short", Point{1e-3, 1e-4, 0.5}, []string{"trial 2", "3 values, want 4"}},
		{"long", append(Point{5}, ok...), []string{"trial 2", "5 values, want 4"}},
		{"below low", Point{1e-6, 1e-4, 0.5, 2}, []string{"trial 2", `"lr"`, "outside"}},
		{"above high", Point{1e-3, 1e-4, 1.5, 2}, []string{"trial 2", `"momentum"`, "outside"}},
		{"NaN value", Point{1e-3, math.NaN(), 0.5, 2}, []string{"trial 2", `"wd"`}},
		{"fractional choice", Point{1e-3, 1e-4, 0.5, 1.5}, []string{"trial 2", `"opt"`, "choice index"}},
		{"choice too big", Point{1e-3, 1e-4, 0.5, 4}, []string{"trial 2", `"opt"`, "0..3"}},
		{"negative choice", Point{1e-3, 1e-4, 0.5, -1}, []string{"trial 2", `"opt"`}},
	} {
		hist := []Trial{{ok, 1}, {ok, 2}, {c.p, 3}}
		_, err := Suggest(space4D, hist, 1, Options{})
		if err == nil {
			t.Errorf("%s: Suggest(history with %v) error = nil, want one mentioning %q", c.name, c.p, c.wants)
			continue
		}
		for _, w := range c.wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: Suggest(history with %v) error = %q, want it to mention %q", c.name, c.p, err, w)
			}
		}
	}
}

func TestBadArguments(t *testing.T) {
	for _, c := range []struct {
		name string
		opt  Options
		n    int
	}{
		{"negative n", Options{}, -1},
		{"negative startup", Options{Startup: -1}, 1},
		{"negative candidates", Options{Candidates: -3}, 1},
		{"negative gamma", Options{Gamma: -0.5}, 1},
		{"gamma above 1", Options{Gamma: 1.5}, 1},
		{"NaN gamma", Options{Gamma: math.NaN()}, 1},
	} {
		if _, err := Suggest(space1D, nil, c.n, c.opt); err == nil {
			t.Errorf("%s: Suggest(n=%d, %+v) error = nil, want an error", c.name, c.n, c.opt)
		}
	}
	if _, err := Random(space1D, 1, 1, -1); err == nil {
		t.Errorf("Random(offset=-1) error = nil, want an error")
	}
	if _, err := Random(Space{{Name: "x", Kind: Uniform, Low: 1, High: 0}}, 1, 1, 0); err == nil {
		t.Errorf("Random(bad space) error = nil, want an error")
	}
}

func TestBest(t *testing.T) {
	nan, inf, ninf := math.NaN(), math.Inf(1), math.Inf(-1)
	for _, c := range []struct {
		losses []float64
		want   int
	}{
		{nil, -1},
		{[]float64{nan, inf, ninf}, -1},
		{[]float64{3, 1, 2}, 1},
		{[]float64{nan, 2, ninf, 2, 5}, 1}, // first of a tie; failures skipped
		{[]float64{0.5, nan, -1}, 2},
	} {
		var h []Trial
		for _, l := range c.losses {
			h = append(h, Trial{Loss: l})
		}
		if got := Best(h); got != c.want {
			t.Errorf("Best(losses %v) = %v, want %v", c.losses, got, c.want)
		}
	}
}
