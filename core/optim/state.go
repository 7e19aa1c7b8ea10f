package optim

import (
	"fmt"
	"maps"
	"slices"
)

// State is what an SGD optimizer needs to resume exactly: its step counter
// and each parameter's velocity keyed by the parameter's Name (update
// noise is a function of the seed and the step, so it has no state). It
// holds plain values, so encoding/gob or encoding/json can write it as it
// is.
type State struct {
	Step     int
	Velocity map[string][]float32
}

// State returns a copy of o's state.
func (o *SGD) State() State {
	s := State{Step: o.step, Velocity: make(map[string][]float32, len(o.params))}
	for i, p := range o.params {
		s.Velocity[p.Name] = slices.Clone(o.vel[i])
	}
	return s
}

// SetState restores a state that State returned, into an optimizer built
// with the same parameters (by name and length) and the same noise setting.
// Continuing from it reproduces the run the state was taken from exactly.
// On error, o is unchanged.
func (o *SGD) SetState(s State) error {
	if s.Step < 0 {
		return fmt.Errorf("optim: state at step %d", s.Step)
	}
	if len(s.Velocity) != len(o.params) {
		return fmt.Errorf("optim: state has %d velocities for %d parameters (%v)",
			len(s.Velocity), len(o.params), slices.Sorted(maps.Keys(s.Velocity)))
	}
	for _, p := range o.params {
		v, ok := s.Velocity[p.Name]
		if !ok {
			return fmt.Errorf("optim: state has no velocity for %q", p.Name)
		}
		if len(v) != p.Value.Len() {
			return fmt.Errorf("optim: state velocity of %q has %d elements, want %d", p.Name, len(v), p.Value.Len())
		}
	}
	for i, p := range o.params {
		copy(o.vel[i], s.Velocity[p.Name])
	}
	o.step = s.Step
	return nil
}
