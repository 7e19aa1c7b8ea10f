// Package noise names the zero-mean noise distributions of the training
// experiments: core/optim's update noise and core/align's alignment-input
// noise draw from the same two, each in its own way (a leaf package, so
// neither imports the other for the name).
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
