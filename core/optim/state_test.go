package optim

import (
	"bytes"
	"encoding/gob"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/untied-ml/untied/core/nn"
)

// setGrads gives every parameter a gradient that depends on its value and
// the step, as a real loss would, so that any divergence in the weights
// shows up in later updates too.
func setGrads(params []*nn.Param, step int) {
	for i, p := range params {
		for j, w := range p.Value.Data {
			p.Grad.Data[j] = float32(math.Sin(float64(w)*3 + float64(step+i+j)))
		}
	}
}

func stateConfig() SGDConfig {
	sched, err := NewCosine(0.1, 20, 3)
	if err != nil {
		panic(err)
	}
	return SGDConfig{LR: sched, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-2,
		Noise: &Noise{Variance: 0.1, Dist: Normal, Site: SiteAll, Seed: 11}}
}

// Saving the state after k steps, restoring it (through gob, as a
// checkpoint would) into a fresh optimizer over copies of the weights, and
// continuing must give exactly the weights of an uninterrupted run: same
// code, same inputs, so bit equality is the right test.
func TestStateRoundTrip(t *testing.T) {
	const total, k = 12, 5
	straight := noiseParams()
	o := mustSGD(t, straight, stateConfig())
	for step := range total {
		setGrads(straight, step)
		o.Step()
	}

	first := noiseParams()
	o1 := mustSGD(t, first, stateConfig())
	for step := range k {
		setGrads(first, step)
		o1.Step()
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(o1.State()); err != nil {
		t.Fatal(err)
	}
	var saved State
	if err := gob.NewDecoder(&buf).Decode(&saved); err != nil {
		t.Fatal(err)
	}

	resumed := noiseParams()
	for i, p := range resumed {
		p.Value.CopyFrom(first[i].Value)
	}
	o2 := mustSGD(t, resumed, stateConfig()) // the noise needs no state: the seed and the step fix it
	if err := o2.SetState(saved); err != nil {
		t.Fatal(err)
	}
	if o2.Steps() != k || o2.LR() != o1.LR() {
		t.Errorf("restored Steps() = %d, LR() = %v; want %d, %v", o2.Steps(), o2.LR(), k, o1.LR())
	}
	for step := k; step < total; step++ {
		setGrads(resumed, step)
		o2.Step()
	}
	for i := range straight {
		if !slices.Equal(resumed[i].Value.Data, straight[i].Value.Data) {
			t.Errorf("%s: resumed %v, uninterrupted %v", straight[i].Name, resumed[i].Value.Data, straight[i].Value.Data)
		}
	}
	if got, want := o2.State().Step, o.State().Step; got != want {
		t.Errorf("final state: step %d, want %d", got, want)
	}
}

// State returns copies: changing them does not touch the optimizer.
func TestStateIsACopy(t *testing.T) {
	params := noiseParams()
	o := mustSGD(t, params, stateConfig())
	setGrads(params, 0)
	o.Step()
	s := o.State()
	want := slices.Clone(o.vel[1])
	s.Velocity["b"][0] = 1e9
	if !slices.Equal(o.vel[1], want) {
		t.Errorf("writing State().Velocity changed the optimizer's velocity to %v", o.vel[1])
	}
}

func TestSetStateErrors(t *testing.T) {
	params := noiseParams()
	o := mustSGD(t, params, stateConfig())
	setGrads(params, 0)
	o.Step()
	good := o.State()

	mutate := func(f func(*State)) State {
		s := State{Step: good.Step, Velocity: map[string][]float32{}}
		for k, v := range good.Velocity {
			s.Velocity[k] = slices.Clone(v)
		}
		f(&s)
		return s
	}
	for _, tc := range []struct {
		name string
		o    *SGD
		s    State
		want string
	}{
		{"negative step", o, mutate(func(s *State) { s.Step = -1 }), "step -1"},
		{"missing velocity", o, mutate(func(s *State) { delete(s.Velocity, "bn") }), "3 velocities for 4 parameters"},
		{"renamed velocity", o, mutate(func(s *State) { s.Velocity["BN"] = s.Velocity["bn"]; delete(s.Velocity, "bn") }), `no velocity for "bn"`},
		{"short velocity", o, mutate(func(s *State) { s.Velocity["w"] = s.Velocity["w"][:2] }), `"w" has 2 elements, want 3`},
	} {
		before := tc.o.State()
		err := tc.o.SetState(tc.s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: SetState error = %v, want one containing %q", tc.name, err, tc.want)
		}
		after := tc.o.State()
		if after.Step != before.Step {
			t.Errorf("%s: failed SetState changed the optimizer", tc.name)
		}
		for k, v := range before.Velocity {
			if !slices.Equal(after.Velocity[k], v) {
				t.Errorf("%s: failed SetState changed the velocity of %q", tc.name, k)
			}
		}
	}
}
