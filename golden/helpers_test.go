package golden

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/untied-ml/untied/core/tensor"
)

// u is the unit roundoff of float32: rounding a real v to float32 changes
// it by at most u·|v|.
const u = 0x1p-24

// gamma is γ_k = k·u/(1 − k·u), the classical bound (Higham, Accuracy and
// Stability of Numerical Algorithms, §3.1) on the relative error of a
// quantity that went through k float32 roundings: a length-k dot product
// summed in any order is within γ_k·Σ|aᵢbᵢ| of the exact value, and FMA or
// a different blocking only removes roundings. The float64 reference adds
// about 2⁻⁵³·k relative, which γ_k's 1/(1 − k·u) factor covers.
func gamma(k int) float64 { return float64(k) * u / (1 - float64(k)*u) }

// newRand returns a PCG stream for a test; each test uses its own seed.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// normals returns n draws of N(0, 1), rounded to float32 so that the
// float32 layers and the float64 reference see the same numbers.
func normals(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(float32(r.NormFloat64()))
	}
	return x
}

// uniform returns n draws of U(lo, hi), rounded to float32.
func uniform(r *rand.Rand, n int, lo, hi float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(float32(lo + (hi-lo)*r.Float64()))
	}
	return x
}

// tensorOf returns x as a float32 tensor (exact: x holds float32 values).
func tensorOf(x []float64, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i, v := range x {
		t.Data[i] = float32(v)
	}
	return t
}

// f64 returns the used part of t's data as float64.
func f64(t *tensor.Tensor) []float64 {
	out := make([]float64, t.Len())
	for i, v := range t.Data[:t.Len()] {
		out[i] = float64(v)
	}
	return out
}

// setValue copies x into a float32 slice.
func setValue(dst []float32, x []float64) {
	for i, v := range x {
		dst[i] = float32(v)
	}
}

// scale returns s·x.
func scale(s float64, x []float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = s * v
	}
	return out
}

// plus returns the elementwise sum of its arguments.
func plus(xs ...[]float64) []float64 {
	out := make([]float64, len(xs[0]))
	for _, x := range xs {
		for i, v := range x {
			out[i] += v
		}
	}
	return out
}

// within reports the elements where |got − want| > tol, at most five of
// them, and the largest ratio |got − want|/tol seen.
func within(t *testing.T, what string, got []float32, want, tol []float64) {
	t.Helper()
	if len(got) != len(want) || len(tol) != len(want) {
		t.Errorf("%s: %d values, want %d (tolerances %d)", what, len(got), len(want), len(tol))
		return
	}
	bad, worst := 0, 0.0
	for i, w := range want {
		d := math.Abs(float64(got[i]) - w)
		if tol[i] > 0 {
			worst = max(worst, d/tol[i])
		}
		if !(d <= tol[i]) {
			if bad < 5 {
				t.Errorf("%s[%d] = %v, want %v ± %.3g (off by %.3g)", what, i, got[i], w, tol[i], d)
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d values out of tolerance", what, bad, len(want))
	}
	if testing.Verbose() {
		t.Logf("%s: worst |error|/tolerance = %.3g", what, worst)
	}
}

// equalBits reports the first element where a and b differ at all.
func equalBits(a, b []float32) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d values, want %d", len(a), len(b))
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return fmt.Errorf("element %d: %v, want %v", i, a[i], b[i])
		}
	}
	return nil
}
