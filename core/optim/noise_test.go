package optim

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/untied-ml/untied/core/nn"
)

// moments returns the sample mean, variance and kurtosis (m₄/m₂²) of x.
func moments(x []float32) (mean, variance, kurtosis float64) {
	n := float64(len(x))
	for _, v := range x {
		mean += float64(v)
	}
	mean /= n
	var m2, m4 float64
	for _, v := range x {
		d := float64(v) - mean
		m2 += d * d
		m4 += d * d * d * d
	}
	m2 /= n
	m4 /= n
	return mean, m2, m4 / (m2 * m2)
}

// One noisy step from w = 0 with zero gradients leaves w = lr·ε, so its
// moments are those of ε scaled by lr. Tolerances are 5 standard errors for
// n samples, from the standardized moments κ₄, κ₆, κ₈ of ε (normal 3, 15,
// 105; uniform 9/5, 27/7, 9): the mean's is σ/√n, the variance's
// σ²·√((κ₄−1)/n), the kurtosis's (delta method, symmetric ε)
// √((κ₈ − κ₄² − 4κ₄(κ₆−κ₄) + 4κ₄²(κ₄−1))/n), i.e. √(24/n) normal and
// √(1.32/n) uniform. The kurtosis check tells the two distributions apart.
// The seed is fixed, so the test is deterministic; the bounds say how much
// slack it has.
func TestNoiseMoments(t *testing.T) {
	const (
		n        = 1 << 18
		lr       = 0.5
		variance = 0.04
	)
	for _, tc := range []struct {
		dist       Dist
		k4, k6, k8 float64
	}{{Normal, 3, 15, 105}, {Uniform, 9.0 / 5, 27.0 / 7, 9}} {
		p := nn.NewParam("b", nn.Feedback, n)
		o := mustSGD(t, []*nn.Param{p}, SGDConfig{LR: Constant(lr), Momentum: 0.9, Nesterov: true,
			Noise: &Noise{Variance: variance, Dist: tc.dist, Site: SiteB, Seed: 7}})
		o.Step()
		mean, v, k := moments(p.Value.Data)
		wantVar := lr * lr * variance
		sd := math.Sqrt(wantVar)
		if tol := 5 * sd / math.Sqrt(n); math.Abs(mean) > tol {
			t.Errorf("%v: mean of lr·ε = %v, want 0 ± %v", tc.dist, mean, tol)
		}
		if tol := 5 * wantVar * math.Sqrt((tc.k4-1)/n); math.Abs(v-wantVar) > tol {
			t.Errorf("%v: variance of lr·ε = %v, want %v ± %v", tc.dist, v, wantVar, tol)
		}
		k4, k6, k8 := tc.k4, tc.k6, tc.k8
		if tol := 5 * math.Sqrt((k8-k4*k4-4*k4*(k6-k4)+4*k4*k4*(k4-1))/n); math.Abs(k-k4) > tol {
			t.Errorf("%v: kurtosis of ε = %v, want %v ± %v", tc.dist, k, k4, tol)
		}
		if tc.dist == Uniform {
			bound := float32(lr * math.Sqrt(3*variance))
			lo, hi := slices.Min(p.Value.Data), slices.Max(p.Value.Data)
			if lo < -bound || hi > bound {
				t.Errorf("uniform: lr·ε in [%v, %v], outside ±%v", lo, hi, bound)
			}
			// n draws come within 1e-3 of either end with near certainty.
			if lo > -0.999*bound || hi < 0.999*bound {
				t.Errorf("uniform: lr·ε in [%v, %v], does not fill ±%v", lo, hi, bound)
			}
		}
	}
}

func noiseParams() []*nn.Param {
	return []*nn.Param{
		param("w", nn.Forward, 1, 2, 3),
		param("b", nn.Feedback, 1, 2, 3),
		param("bn", nn.Norm, 1, 2, 3),
		param("bias", nn.Bias, 1, 2),
	}
}

func TestNoiseSite(t *testing.T) {
	for _, site := range []Site{SiteB, SiteAll} {
		params := noiseParams()
		before := make([][]float32, len(params))
		for i, p := range params {
			before[i] = slices.Clone(p.Value.Data)
		}
		// Zero gradients and no decay: only the noise can move a weight.
		o := mustSGD(t, params, SGDConfig{LR: Constant(0.1), Momentum: 0.9,
			Noise: &Noise{Variance: 1, Dist: Normal, Site: site, Seed: 1}})
		o.Step()
		for i, p := range params {
			moved := !slices.Equal(p.Value.Data, before[i])
			want := site == SiteAll || p.Kind == nn.Feedback
			if moved != want {
				t.Errorf("site %v: %v moved = %v, want %v", site, p.Kind, moved, want)
			}
		}
	}
}

// Noise must not enter the velocity: a noisy and a clean optimizer fed the
// same gradients keep bit-identical velocities (same code path, so exact
// equality is the right test), and the weights differ by the accumulated
// noise lr·Σε alone. Weight decay is off: it reads w, so through it the noise
// would rightly change later gradients of W.
func TestNoiseBypassesMomentum(t *testing.T) {
	const steps, lr, variance = 5, 0.05, 0.01
	clean, noisy := noiseParams(), noiseParams()
	cfg := SGDConfig{LR: Constant(lr), Momentum: 0.9, Nesterov: true}
	oc := mustSGD(t, clean, cfg)
	cfg.Noise = &Noise{Variance: variance, Dist: Uniform, Site: SiteAll, Seed: 3}
	on := mustSGD(t, noisy, cfg)
	for step := range steps {
		for i := range clean {
			for j := range clean[i].Grad.Data {
				g := float32(math.Sin(float64(step*7 + i*3 + j)))
				clean[i].Grad.Data[j], noisy[i].Grad.Data[j] = g, g
			}
		}
		oc.Step()
		on.Step()
		for i := range clean {
			if !slices.Equal(oc.vel[i], on.vel[i]) {
				t.Fatalf("step %d, %s: velocity with noise %v, without %v", step, clean[i].Name, on.vel[i], oc.vel[i])
			}
		}
	}
	// |lr·Σε| ≤ steps·lr·√(3·var), plus float32 rounding of weights of order 1.
	bound := steps*lr*math.Sqrt(3*variance) + 1e-5
	for i := range clean {
		for j := range clean[i].Value.Data {
			d := math.Abs(float64(noisy[i].Value.Data[j] - clean[i].Value.Data[j]))
			if d == 0 || d > bound {
				t.Errorf("%s[%d]: |noisy − clean| = %v, want in (0, %v]", clean[i].Name, j, d, bound)
			}
		}
	}
}

func TestNoiseSeed(t *testing.T) {
	run := func(seed uint64) []float32 {
		params := noiseParams()
		o := mustSGD(t, params, SGDConfig{LR: Constant(0.1), Momentum: 0.9,
			Noise: &Noise{Variance: 1, Dist: Normal, Site: SiteAll, Seed: seed}})
		for range 3 {
			o.Step()
		}
		var all []float32
		for _, p := range params {
			all = append(all, p.Value.Data...)
		}
		return all
	}
	a, b, c := run(42), run(42), run(43)
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different weights:\n%v\n%v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 42 and 43 gave the same weights %v", a)
	}
}

// Variance 0 is a control condition: the run equals one without noise.
func TestNoiseZeroVariance(t *testing.T) {
	clean, noisy := noiseParams(), noiseParams()
	for _, ps := range [][]*nn.Param{clean, noisy} {
		for _, p := range ps {
			p.Grad.Fill(0.5)
		}
	}
	cfg := SGDConfig{LR: Constant(0.1), Momentum: 0.9}
	oc := mustSGD(t, clean, cfg)
	cfg.Noise = &Noise{Variance: 0, Dist: Normal, Site: SiteAll}
	on := mustSGD(t, noisy, cfg)
	oc.Step()
	on.Step()
	for i := range clean {
		if !slices.Equal(clean[i].Value.Data, noisy[i].Value.Data) {
			t.Errorf("%s: variance 0 gave %v, no noise %v", clean[i].Name, noisy[i].Value.Data, clean[i].Value.Data)
		}
	}
}

func TestParseSite(t *testing.T) {
	for s, want := range map[string]Site{"b": SiteB, "all": SiteAll, "ALL": SiteAll} {
		if got, err := ParseSite(s); got != want || err != nil {
			t.Errorf("ParseSite(%q) = %v, %v; want %v, nil", s, got, err, want)
		}
	}
	if _, err := ParseSite("w"); err == nil || !strings.Contains(err.Error(), `"b" or "all"`) {
		t.Errorf(`ParseSite("w") error = %v, want one naming the choices`, err)
	}
	// Round trip through String, and Set as a flag.Value.
	for _, s := range []Site{SiteB, SiteAll} {
		var got Site
		if err := got.Set(s.String()); err != nil || got != s {
			t.Errorf("Site.Set(%q) = %v, %v", s.String(), got, err)
		}
	}
}
