// Package noise draws the zero-mean noise of the training experiments:
// core/optim's update noise and core/align's alignment-input noise, from
// the same two distributions (Dist) and the same generator (Filler), whose
// draws are a function of the run's seed, the step and the parameter or
// layer, so a resumed run draws what an uninterrupted one did, on any
// number of threads. It imports only core/sched (and golang.org/x/sys/cpu),
// so both can import it.
package noise

import (
	"fmt"
	"strings"
)

// Dist is a zero-mean noise distribution, given by its variance.
type Dist int

const (
	_ Dist = iota
	// Normal is N(0, σ²).
	Normal
	// Uniform is U(−√3σ, √3σ), which has the same variance σ².
	Uniform
)

// ParseDist parses a flag value: "normal" or "uniform".
func ParseDist(s string) (Dist, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "normal":
		return Normal, nil
	case "uniform":
		return Uniform, nil
	}
	return 0, fmt.Errorf("unknown noise distribution %q (want \"normal\" or \"uniform\")", s)
}

func (d Dist) String() string {
	switch d {
	case Normal:
		return "normal"
	case Uniform:
		return "uniform"
	}
	return fmt.Sprintf("Dist(%d)", int(d))
}

// Set parses s into d, so a *Dist is a flag.Value.
func (d *Dist) Set(s string) error {
	v, err := ParseDist(s)
	if err == nil {
		*d = v
	}
	return err
}
