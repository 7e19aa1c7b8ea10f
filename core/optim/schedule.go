package optim

import (
	"fmt"
	"math"
)

// Schedule gives the learning rate of each step. Step t is the t-th call of
// an optimizer's Step, counting from 0; LR is never called with t < 0 by this
// package and treats such t as 0.
type Schedule interface {
	LR(step int) float64
}

// Constant is a fixed learning rate. NewSGD rejects a negative or non-finite
// value.
type Constant float64

// LR returns c whatever the step.
func (c Constant) LR(int) float64 { return float64(c) }

// ScheduleFunc adapts a function to a Schedule, for ad hoc schedules and
// tests. NewSGD checks only its rate at step 0.
type ScheduleFunc func(step int) float64

// LR returns f(step).
func (f ScheduleFunc) LR(step int) float64 { return f(step) }

// StepDecay is a linear warm-up followed by piecewise-constant decay:
//
//	lr(t) = base·t/warmup                for t < warmup
//	lr(t) = base·factor^k                otherwise, k = #{m in milestones : m ≤ t}
//
// The warm-up starts at 0, as in the reference code (learning_rate.py), so
// the first step moves no weight but does fill the velocity.
type StepDecay struct {
	base       float64
	warmup     int
	milestones []int
	factor     float64
}

// NewStepDecay returns a StepDecay schedule. base must be finite and ≥ 0,
// warmup ≥ 0 steps, the milestones (in steps) strictly increasing and none
// inside the warm-up, and factor in (0, 1]: a decay, so "÷10" is 0.1.
func NewStepDecay(base float64, warmup int, milestones []int, factor float64) (*StepDecay, error) {
	if err := checkBase(base); err != nil {
		return nil, err
	}
	if warmup < 0 {
		return nil, fmt.Errorf("optim: negative warm-up of %d steps", warmup)
	}
	for i, m := range milestones {
		if m < warmup {
			return nil, fmt.Errorf("optim: milestone %d at step %d falls inside the warm-up of %d steps", i, m, warmup)
		}
		if i > 0 && m <= milestones[i-1] {
			return nil, fmt.Errorf("optim: milestones not strictly increasing: %d after %d", m, milestones[i-1])
		}
	}
	if !(factor > 0 && factor <= 1) {
		return nil, fmt.Errorf("optim: decay factor %v outside (0, 1] (to divide by 10, use 0.1)", factor)
	}
	return &StepDecay{base: base, warmup: warmup, milestones: append([]int(nil), milestones...), factor: factor}, nil
}

// PaperStepDecay is the paper's ImageNet schedule (learning_rate.py in
// the reference code: a 5-epoch linear warm-up to base, then ÷10 at epochs
// 30, 60 and 80 of 90) for a run of totalSteps: ÷10 at 1/3, 2/3 and 8/9 of
// it, after warmup steps of linear warm-up. With the paper's 90 epochs and
// a 5-epoch warm-up it is the paper's schedule step for step.
func PaperStepDecay(base float64, totalSteps, warmup int) (*StepDecay, error) {
	if totalSteps <= 0 {
		return nil, fmt.Errorf("optim: a run of %d steps", totalSteps)
	}
	t := totalSteps
	return NewStepDecay(base, warmup, []int{t / 3, 2 * t / 3, 8 * t / 9}, 0.1)
}

// LR returns the rate of step t.
func (s *StepDecay) LR(t int) float64 {
	t = max(t, 0)
	if t < s.warmup {
		return s.base * float64(t) / float64(s.warmup)
	}
	lr := s.base
	for _, m := range s.milestones {
		if t < m {
			break
		}
		lr *= s.factor
	}
	return lr
}

// Cosine is a linear warm-up followed by a half-cosine decay to 0:
//
//	lr(t) = base·t/warmup                                  for t < warmup
//	lr(t) = base·½·(1 + cos(π·(t−warmup)/(total−warmup)))  for warmup ≤ t < total
//	lr(t) = 0                                              for t ≥ total
type Cosine struct {
	base          float64
	total, warmup int
}

// NewCosine returns a Cosine schedule over total steps, the first warmup of
// them a linear ramp from 0 (warmup may be 0). base must be finite and ≥ 0
// and 0 ≤ warmup < total.
func NewCosine(base float64, total, warmup int) (*Cosine, error) {
	if err := checkBase(base); err != nil {
		return nil, err
	}
	if total <= 0 {
		return nil, fmt.Errorf("optim: cosine schedule over %d steps", total)
	}
	if warmup < 0 || warmup >= total {
		return nil, fmt.Errorf("optim: warm-up of %d steps outside [0, %d) for a cosine schedule of %d steps", warmup, total, total)
	}
	return &Cosine{base: base, total: total, warmup: warmup}, nil
}

// LR returns the rate of step t.
func (c *Cosine) LR(t int) float64 {
	t = max(t, 0)
	switch {
	case t < c.warmup:
		return c.base * float64(t) / float64(c.warmup)
	case t >= c.total:
		return 0
	}
	x := float64(t-c.warmup) / float64(c.total-c.warmup)
	return c.base * 0.5 * (1 + math.Cos(math.Pi*x))
}

func checkBase(lr float64) error {
	if !(lr >= 0) || math.IsInf(lr, 0) {
		return fmt.Errorf("optim: learning rate %v is not a finite number ≥ 0", lr)
	}
	return nil
}
