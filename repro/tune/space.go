package tune

import (
	"errors"
	"fmt"
	"math"
)

// Kind is a parameter's prior.
type Kind string

// The priors a Param may have.
const (
	LogUniform Kind = "log-uniform" // Low > 0, sampled uniform in log space
	Uniform    Kind = "uniform"
	Choice     Kind = "choice" // N = number of choices; the value is the index 0..N-1
)

// Param is one dimension of the search space.
type Param struct {
	Name string  `json:"name"`
	Kind Kind    `json:"kind"`
	Low  float64 `json:"low,omitempty"`  // LogUniform, Uniform
	High float64 `json:"high,omitempty"` // LogUniform, Uniform
	N    int     `json:"n,omitempty"`    // Choice: number of options
}

// Space is an ordered list of parameters.
type Space []Param

// Validate reports the first bad parameter, naming it and what was expected:
// an empty space, empty or duplicate names, NaN or infinite bounds,
// Low >= High, LogUniform with Low <= 0, Choice with N < 1, or an unknown
// kind.
func (s Space) Validate() error {
	if len(s) == 0 {
		return errors.New("tune: space has no parameters")
	}
	seen := make(map[string]int, len(s))
	for i, p := range s {
		if p.Name == "" {
			return fmt.Errorf("tune: param %d: empty name", i)
		}
		if j, ok := seen[p.Name]; ok {
			return fmt.Errorf("tune: param %d %q: duplicate name (also param %d)", i, p.Name, j)
		}
		seen[p.Name] = i
		switch p.Kind {
		case LogUniform, Uniform:
			if !isFinite(p.Low) || !isFinite(p.High) {
				return fmt.Errorf("tune: param %q: low and high must be finite, got low=%v high=%v", p.Name, p.Low, p.High)
			}
			if p.Low >= p.High {
				return fmt.Errorf("tune: param %q: low (%v) must be less than high (%v)", p.Name, p.Low, p.High)
			}
			if p.Kind == LogUniform && p.Low <= 0 {
				return fmt.Errorf("tune: param %q: log-uniform low must be > 0, got %v", p.Name, p.Low)
			}
		case Choice:
			if p.N < 1 {
				return fmt.Errorf("tune: param %q: choice n must be >= 1, got %d", p.Name, p.N)
			}
		default:
			return fmt.Errorf("tune: param %q: unknown kind %q (want %q, %q or %q)", p.Name, p.Kind, LogUniform, Uniform, Choice)
		}
	}
	return nil
}

// Point holds one value per parameter of a Space, in order; a Choice's value
// is its index as a float64.
type Point []float64

// Check reports whether p is a point of s: one value per parameter, each
// within its bounds (inclusive), a Choice's an integral index in [0, N).
// The error names the parameter but not the trial; callers add that.
func (s Space) Check(p Point) error {
	if len(p) != len(s) {
		return fmt.Errorf("has %d values, want %d (one per parameter)", len(p), len(s))
	}
	for i, prm := range s {
		v := p[i]
		if prm.Kind == Choice {
			if v != math.Trunc(v) || v < 0 || v > float64(prm.N-1) {
				return fmt.Errorf("param %q: value %v is not a choice index in 0..%d", prm.Name, v, prm.N-1)
			}
			continue
		}
		if !(v >= prm.Low && v <= prm.High) { // also catches NaN
			return fmt.Errorf("param %q: value %v outside [%v, %v]", prm.Name, v, prm.Low, prm.High)
		}
	}
	return nil
}

// Trial is a point evaluated: Loss is lower-is-better; a NaN or ±Inf loss
// marks a failed trial (treated as worse than every finite loss).
type Trial struct {
	Point Point   `json:"point"`
	Loss  float64 `json:"loss"`
}

// Best returns the index of the trial with the lowest finite loss (the
// first such trial on a tie), or -1 if there is none.
func Best(history []Trial) int {
	best := -1
	for i, t := range history {
		if isFinite(t.Loss) && (best < 0 || t.Loss < history[best].Loss) {
			best = i
		}
	}
	return best
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
