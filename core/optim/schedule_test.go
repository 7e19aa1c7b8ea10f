package optim

import (
	"math"
	"strings"
	"testing"
)

// schedTol: the schedules compute in float64 with a few operations, and the
// cosine goes through math.Cos (within 1 ulp); 1e-12 of base is ample.
const schedTol = 1e-12

func checkLR(t *testing.T, name string, s Schedule, step int, want float64) {
	t.Helper()
	if got := s.LR(step); math.Abs(got-want) > schedTol {
		t.Errorf("%s.LR(%d) = %v, want %v", name, step, got, want)
	}
}

func TestConstant(t *testing.T) {
	for _, step := range []int{-1, 0, 1, 1 << 30} {
		checkLR(t, "Constant(0.3)", Constant(0.3), step, 0.3)
	}
}

func TestStepDecayBoundaries(t *testing.T) {
	s, err := NewStepDecay(0.4, 10, []int{20, 30, 45}, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		step int
		want float64
	}{
		{-5, 0}, {0, 0}, {1, 0.04}, {5, 0.2}, {9, 0.36}, // warm-up: 0.4·t/10
		{10, 0.4}, {19, 0.4},
		{20, 0.04}, {29, 0.04},
		{30, 0.004}, {44, 0.004},
		{45, 0.0004}, {1 << 30, 0.0004},
	} {
		checkLR(t, "StepDecay", s, tc.step, tc.want)
	}
	// A milestone at the end of the warm-up is allowed: no plateau at base.
	s, err = NewStepDecay(1, 3, []int{3}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	checkLR(t, "StepDecay(milestone=warmup)", s, 2, 2.0/3)
	checkLR(t, "StepDecay(milestone=warmup)", s, 3, 0.5)
	// No warm-up starts at base.
	s, err = NewStepDecay(1, 0, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	checkLR(t, "StepDecay(no warm-up)", s, 0, 1)
}

func TestPaperStepDecay(t *testing.T) {
	const e = 100 // steps per epoch
	s, err := PaperStepDecay(0.1, 90*e, 5*e)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		step int
		want float64
	}{
		{0, 0}, {e, 0.02}, {5*e - 1, 0.1 * (5*e - 1) / (5 * e)}, {5 * e, 0.1},
		{30*e - 1, 0.1}, {30 * e, 0.01}, {60 * e, 0.001}, {80*e - 1, 0.001}, {80 * e, 0.0001},
	} {
		checkLR(t, "PaperStepDecay", s, tc.step, tc.want)
	}
	if _, err := PaperStepDecay(0.1, 0, 0); err == nil {
		t.Error("PaperStepDecay(0.1, 0, 0) succeeded, want an error")
	}
}

func TestCosineBoundaries(t *testing.T) {
	c, err := NewCosine(0.2, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		step int
		want float64
	}{
		{0, 0.2}, {25, 0.1 * (1 + math.Sqrt2/2)}, {50, 0.1}, {75, 0.1 * (1 - math.Sqrt2/2)},
		{99, 0.1 * (1 + math.Cos(math.Pi*0.99))}, {100, 0}, {1000, 0},
	} {
		checkLR(t, "Cosine", c, tc.step, tc.want)
	}
	// With warm-up, the cosine runs over the remaining steps.
	c, err = NewCosine(1, 110, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		step int
		want float64
	}{
		{0, 0}, {5, 0.5}, {9, 0.9}, {10, 1}, {60, 0.5}, {110, 0},
	} {
		checkLR(t, "Cosine(warm-up 10)", c, tc.step, tc.want)
	}
	// Non-increasing after the warm-up.
	prev := math.Inf(1)
	for step := 10; step <= 111; step++ {
		lr := c.LR(step)
		if lr > prev || lr < 0 {
			t.Fatalf("Cosine.LR(%d) = %v after %v: not a decay to 0", step, lr, prev)
		}
		prev = lr
	}
}

func TestScheduleErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"step negative lr", second(NewStepDecay(-1, 0, nil, 0.1)), "learning rate -1"},
		{"step inf lr", second(NewStepDecay(math.Inf(1), 0, nil, 0.1)), "learning rate +Inf"},
		{"step negative warm-up", second(NewStepDecay(1, -1, nil, 0.1)), "negative warm-up"},
		{"step milestones equal", second(NewStepDecay(1, 0, []int{5, 5}, 0.1)), "not strictly increasing: 5 after 5"},
		{"step milestones decreasing", second(NewStepDecay(1, 0, []int{8, 5}, 0.1)), "not strictly increasing"},
		{"step milestone in warm-up", second(NewStepDecay(1, 10, []int{5}, 0.1)), "inside the warm-up"},
		{"step factor 10", second(NewStepDecay(1, 0, []int{5}, 10)), "use 0.1"},
		{"step factor 0", second(NewStepDecay(1, 0, []int{5}, 0)), "outside (0, 1]"},
		{"cosine negative lr", second(NewCosine(-0.1, 10, 0)), "learning rate -0.1"},
		{"cosine no steps", second(NewCosine(0.1, 0, 0)), "over 0 steps"},
		{"cosine warm-up too long", second(NewCosine(0.1, 10, 10)), "outside [0, 10)"},
		{"cosine negative warm-up", second(NewCosine(0.1, 10, -1)), "warm-up of -1"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want one containing %q", tc.name, tc.err, tc.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }
