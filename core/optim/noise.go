package optim

import (
	"fmt"
	"math"
	"strings"

	"github.com/untied-ml/untied/core/noise"
)

// Noise configures noisy updates (the robustness experiment, docs/rules.md §7):
// after each step, every parameter at Site gets
//
//	w ← w + lr_t·ε,  ε i.i.d. per element with mean 0 and variance Variance
//
// where lr_t is the rate the step used. The noise goes to the weights only,
// never into the velocity, so it bypasses momentum. Dist and Site have no
// default: the zero value of each is rejected, so every run names both.
type Noise struct {
	Variance float64 // of ε; 0 adds nothing (a control condition)
	Dist     Dist
	Site     Site
	Seed     uint64 // with the step and the parameter's index, fixes the draws (core/noise's Filler)
}

// Dist is the distribution of the update noise (core/noise's, shared with
// align's input noise).
type Dist = noise.Dist

const (
	// Normal draws ε from N(0, Variance).
	Normal = noise.Normal
	// Uniform draws ε from U(−√(3·Variance), √(3·Variance)), which has the
	// same variance.
	Uniform = noise.Uniform
)

// Site says which of an optimizer's parameters get update noise.
type Site int

const (
	_ Site = iota
	// SiteB is the feedback weights (Kind nn.Feedback) only.
	SiteB
	// SiteAll is every parameter the optimizer updates; for backprop it is
	// the only site there is.
	SiteAll
)

// ParseSite parses a flag value: "b" or "all".
func ParseSite(s string) (Site, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "b":
		return SiteB, nil
	case "all":
		return SiteAll, nil
	}
	return 0, fmt.Errorf("optim: unknown noise site %q (want \"b\" or \"all\")", s)
}

func (s Site) String() string {
	switch s {
	case SiteB:
		return "b"
	case SiteAll:
		return "all"
	}
	return fmt.Sprintf("Site(%d)", int(s))
}

// Set parses v into s, so a *Site is a flag.Value.
func (s *Site) Set(v string) error {
	p, err := ParseSite(v)
	if err == nil {
		*s = p
	}
	return err
}

func (n *Noise) check() error {
	if !(n.Variance >= 0) || math.IsInf(n.Variance, 0) {
		return fmt.Errorf("optim: noise variance %v is not a finite number ≥ 0", n.Variance)
	}
	if n.Dist != Normal && n.Dist != Uniform {
		return fmt.Errorf("optim: noise distribution not set (%v)", n.Dist)
	}
	if n.Site != SiteB && n.Site != SiteAll {
		return fmt.Errorf("optim: noise site not set (%v)", n.Site)
	}
	return nil
}
