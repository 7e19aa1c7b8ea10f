package align

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Primitive is one term of an alignment loss. See the package comment for
// each one's R and gradient.
type Primitive int

const (
	Decay    Primitive = iota // ΣB²
	Amp                       // −(1/N)⟨Pf, Pb⟩
	Null                      // (1/N)‖Transpose(Pf, B)‖²
	Sparse                    // (1/N)‖Pb‖²
	Self                      // −⟨W, B⟩
	NullBack                  // (1/N)‖Transpose(Pb, W)‖²: IA's "reconstruction reversal" variant
	numPrimitives
)

var primNames = [numPrimitives]string{"decay", "amp", "null", "sparse", "self", "nullb"}

// String returns the flag name of p: decay, amp, null, sparse, self or nullb.
func (p Primitive) String() string {
	if p >= 0 && p < numPrimitives {
		return primNames[p]
	}
	return fmt.Sprintf("Primitive(%d)", int(p))
}

// Local reports whether p uses only what a synapse can see (docs/rules.md §3):
// Decay, Amp and Null are local; Sparse (B driven in the forward direction),
// Self (reads W) and NullBack (reconstructs through W) are not.
func (p Primitive) Local() bool { return p == Decay || p == Amp || p == Null }

// ParsePrimitive parses a flag name (case-insensitive).
func ParsePrimitive(s string) (Primitive, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range primNames {
		if n == s {
			return Primitive(i), nil
		}
	}
	return 0, fmt.Errorf("align: unknown primitive %q (known: %s)", s, strings.Join(primNames[:], ", "))
}

// Ramp is the shape of a coefficient schedule.
type Ramp int

const (
	// None keeps the coefficient at Value for the whole run.
	None Ramp = iota
	// Linear interpolates linearly from From·Value to Value.
	Linear
	// Exp interpolates geometrically (linearly in log) from From·Value to
	// Value; it needs From > 0.
	Exp
)

var rampNames = [...]string{"none", "linear", "exp"}

func (r Ramp) String() string {
	if r >= 0 && int(r) < len(rampNames) {
		return rampNames[r]
	}
	return fmt.Sprintf("Ramp(%d)", int(r))
}

// Coef is a coefficient with a schedule over the fraction p ∈ [0, 1] of
// training done (p = step/totalSteps, clamped):
//
//	Ramp None:      c(p) = Value
//	p ≤ Start:      c(p) = From·Value
//	p ≥ Stop:       c(p) = Value
//	in between, with u = (p−Start)/(Stop−Start):
//	  Linear:       c(p) = Value·(From + (1−From)·u)
//	  Exp:          c(p) = Value·From^(1−u)
//
// From ≥ 0 (From > 0 for Exp; From = 0 starts a linear ramp at 0), and
// 0 ≤ Start ≤ Stop ≤ 1. Start = Stop is a step at Start. The zero Ramp is
// None, so Coef{Value: v} is the constant v.
type Coef struct {
	Value       float64
	Ramp        Ramp
	From        float64
	Start, Stop float64
}

// Const returns the constant coefficient v.
func Const(v float64) Coef { return Coef{Value: v} }

// At returns the coefficient at fraction p of training.
func (c Coef) At(p float64) float64 {
	if c.Ramp == None {
		return c.Value
	}
	switch {
	case p >= c.Stop:
		return c.Value
	case p <= c.Start:
		return c.From * c.Value
	}
	u := (p - c.Start) / (c.Stop - c.Start)
	if c.Ramp == Exp {
		return c.Value * math.Pow(c.From, 1-u)
	}
	return c.Value * (c.From + (1-c.From)*u)
}

func (c Coef) check() error {
	switch {
	case math.IsNaN(c.Value) || math.IsInf(c.Value, 0):
		return fmt.Errorf("coefficient %v is not finite", c.Value)
	case c.Ramp == None:
		return nil
	case c.Ramp != Linear && c.Ramp != Exp:
		return fmt.Errorf("unknown ramp %v", c.Ramp)
	case !(c.From >= 0) || math.IsInf(c.From, 0):
		return fmt.Errorf("ramp from %v, want a finite number ≥ 0", c.From)
	case c.Ramp == Exp && c.From == 0:
		return fmt.Errorf("exponential ramp from 0, want From > 0")
	case !(0 <= c.Start && c.Start <= c.Stop && c.Stop <= 1):
		return fmt.Errorf("ramp start %v, stop %v: want 0 ≤ start ≤ stop ≤ 1", c.Start, c.Stop)
	}
	return nil
}

// Term is one weighted primitive of an alignment loss.
type Term struct {
	Prim Primitive
	Coef Coef
}

// String formats t in the syntax ParseTerms reads.
func (t Term) String() string {
	s := t.Prim.String() + "=" + strconv.FormatFloat(t.Coef.Value, 'g', -1, 64)
	if t.Coef.Ramp != None {
		s += fmt.Sprintf("@%v(%s:%s:%s)", t.Coef.Ramp,
			strconv.FormatFloat(t.Coef.From, 'g', -1, 64),
			strconv.FormatFloat(t.Coef.Start, 'g', -1, 64),
			strconv.FormatFloat(t.Coef.Stop, 'g', -1, 64))
	}
	return s
}

// FormatTerms formats terms in the syntax ParseTerms reads.
func FormatTerms(ts []Term) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.String()
	}
	return strings.Join(s, ",")
}

// ParseTerms parses a composition such as "decay=1e-3,self=2e-3": comma-
// separated name=value terms, where a value may carry a schedule,
// value@ramp(from:start:stop), e.g. "amp=2e-3@linear(0:0:0.1)" (ramp linear
// or exp; see Coef). A primitive may appear once. Errors name the bad term
// and list the known primitives.
func ParseTerms(s string) ([]Term, error) {
	var ts []Term
	seen := map[Primitive]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		t, err := parseTerm(f)
		if err != nil {
			return nil, fmt.Errorf("align: term %q: %v", f, err)
		}
		if seen[t.Prim] {
			return nil, fmt.Errorf("align: term %q: %v given twice", f, t.Prim)
		}
		seen[t.Prim] = true
		ts = append(ts, t)
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("align: no term in %q (want e.g. \"decay=1e-3,self=2e-3\"; known primitives: %s)", s, strings.Join(primNames[:], ", "))
	}
	return ts, nil
}

func parseTerm(f string) (Term, error) {
	name, val, ok := strings.Cut(f, "=")
	if !ok {
		return Term{}, fmt.Errorf("want name=value (known primitives: %s)", strings.Join(primNames[:], ", "))
	}
	p, err := ParsePrimitive(name)
	if err != nil {
		return Term{}, fmt.Errorf("unknown primitive %q (known: %s)", strings.TrimSpace(name), strings.Join(primNames[:], ", "))
	}
	val, sched, hasSched := strings.Cut(val, "@")
	v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
	if err != nil {
		return Term{}, fmt.Errorf("bad value %q", strings.TrimSpace(val))
	}
	c := Coef{Value: v}
	if hasSched {
		kind, args, ok := strings.Cut(strings.TrimSuffix(strings.TrimSpace(sched), ")"), "(")
		if !ok || !strings.HasSuffix(strings.TrimSpace(sched), ")") {
			return Term{}, fmt.Errorf("bad schedule %q, want ramp(from:start:stop)", sched)
		}
		switch strings.ToLower(strings.TrimSpace(kind)) {
		case "linear":
			c.Ramp = Linear
		case "exp":
			c.Ramp = Exp
		default:
			return Term{}, fmt.Errorf("unknown ramp %q (known: linear, exp)", kind)
		}
		a := strings.Split(args, ":")
		if len(a) != 3 {
			return Term{}, fmt.Errorf("bad schedule %q, want ramp(from:start:stop)", sched)
		}
		var x [3]float64
		for i, s := range a {
			if x[i], err = strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
				return Term{}, fmt.Errorf("bad schedule number %q", s)
			}
		}
		c.From, c.Start, c.Stop = x[0], x[1], x[2]
	}
	if err := c.check(); err != nil {
		return Term{}, err
	}
	return Term{Prim: p, Coef: c}, nil
}
