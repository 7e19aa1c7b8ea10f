package optim

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/noise"
	"github.com/untied-ml/untied/core/tensor"
)

// param returns a named parameter holding value, with a zero gradient.
func param(name string, kind nn.Kind, value ...float32) *nn.Param {
	p := nn.NewParam(name, kind, len(value))
	copy(p.Value.Data, value)
	return p
}

// f32Tol is the tolerance for a handful of float32 operations on values of
// order 1: each rounds by at most 2⁻²⁴ relative, and the compiler may fuse a
// multiply-add (which only removes a rounding), so 16 ulps of 1 is ample.
const f32Tol = 16.0 / (1 << 24)

func near(got float32, want float64) bool {
	return math.Abs(float64(got)-want) <= f32Tol*math.Max(1, math.Abs(want))
}

func mustSGD(t testing.TB, params []*nn.Param, cfg SGDConfig) *SGD {
	t.Helper()
	o, err := NewSGD(params, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// Two steps by hand, lr 0.1, μ 0.9, w₀ = 1, g₁ = 0.5, g₂ = −1:
//
//	plain:    v₁ = 0.5, w₁ = 1 − 0.05 = 0.95;
//	          v₂ = 0.45 − 1 = −0.55, w₂ = 0.95 + 0.055 = 1.005
//	Nesterov: v₁ = 0.5, w₁ = 1 − 0.1·(0.5 + 0.45) = 0.905;
//	          v₂ = −0.55, w₂ = 0.905 − 0.1·(−1 − 0.495) = 1.0545
//
// The second element has w₀ = −2, g₁ = 0, g₂ = 2:
//
//	plain:    v₁ = 0, w₁ = −2; v₂ = 2, w₂ = −2.2
//	Nesterov: v₁ = 0, w₁ = −2; v₂ = 2, w₂ = −2 − 0.1·(2 + 1.8) = −2.38
func TestMomentumTwoSteps(t *testing.T) {
	for _, tc := range []struct {
		nesterov bool
		w1, w2   [2]float64
		v2       [2]float64
	}{
		{false, [2]float64{0.95, -2}, [2]float64{1.005, -2.2}, [2]float64{-0.55, 2}},
		{true, [2]float64{0.905, -2}, [2]float64{1.0545, -2.38}, [2]float64{-0.55, 2}},
	} {
		p := param("w", nn.Forward, 1, -2)
		o := mustSGD(t, []*nn.Param{p}, SGDConfig{LR: Constant(0.1), Momentum: 0.9, Nesterov: tc.nesterov})
		copy(p.Grad.Data, []float32{0.5, 0})
		o.Step()
		for i, want := range tc.w1 {
			if !near(p.Value.Data[i], want) {
				t.Errorf("nesterov=%v: w₁[%d] = %v, want %v", tc.nesterov, i, p.Value.Data[i], want)
			}
		}
		copy(p.Grad.Data, []float32{-1, 2})
		o.Step()
		for i, want := range tc.w2 {
			if !near(p.Value.Data[i], want) {
				t.Errorf("nesterov=%v: w₂[%d] = %v, want %v", tc.nesterov, i, p.Value.Data[i], want)
			}
			if v := o.vel[0][i]; !near(v, tc.v2[i]) {
				t.Errorf("nesterov=%v: v₂[%d] = %v, want %v", tc.nesterov, i, v, tc.v2[i])
			}
		}
		if o.Steps() != 2 {
			t.Errorf("Steps() = %d, want 2", o.Steps())
		}
	}
}

// With wd = 0.5, lr 0.1, μ 0.9, Nesterov, w₀ = 2, g = 1 twice, on a W:
//
//	g₁ = 1 + 1 = 2, v₁ = 2, w₁ = 2 − 0.1·(2 + 1.8) = 1.62
//	g₂ = 1 + 0.81 = 1.81, v₂ = 1.8 + 1.81 = 3.61, w₂ = 1.62 − 0.1·(1.81 + 3.249) = 1.1141
//
// and without decay (B, BN, bias): v₁ = 1, w₁ = 2 − 0.19 = 1.81; v₂ = 1.9, w₂ = 1.81 − 0.1·2.71 = 1.539.
func TestWeightDecayOnlyForward(t *testing.T) {
	params := []*nn.Param{
		param("w", nn.Forward, 2),
		param("b", nn.Feedback, 2),
		param("bn", nn.Norm, 2),
		param("bias", nn.Bias, 2),
	}
	o := mustSGD(t, params, SGDConfig{LR: Constant(0.1), Momentum: 0.9, Nesterov: true, WeightDecay: 0.5})
	for range 2 {
		for _, p := range params {
			p.Grad.Data[0] = 1
		}
		o.Step()
	}
	for _, p := range params {
		want := 1.539
		if p.Kind == nn.Forward {
			want = 1.1141
		}
		if got := p.Value.Data[0]; !near(got, want) {
			t.Errorf("%v after two steps with decay = %v, want %v", p.Kind, got, want)
		}
	}
}

// Step k must use LR(k), and LR() must report it before the step.
func TestStepUsesScheduleOfItsIndex(t *testing.T) {
	p := param("w", nn.Forward, 0)
	o := mustSGD(t, []*nn.Param{p}, SGDConfig{LR: ScheduleFunc(func(k int) float64 { return float64(k + 1) })})
	p.Grad.Data[0] = -1 // momentum 0: each step adds LR(k)
	var want float64
	for k := range 4 {
		if got := o.LR(); got != float64(k+1) {
			t.Errorf("LR() before step %d = %v, want %v", k, got, k+1)
		}
		o.Step()
		want += float64(k + 1)
		if got := p.Value.Data[0]; !near(got, want) {
			t.Errorf("w after step %d = %v, want %v", k, got, want)
		}
	}
}

// A warm-up starting at 0 leaves the weights alone on step 0 but fills the
// velocity, as TensorFlow's MomentumOptimizer does.
func TestWarmupFirstStep(t *testing.T) {
	sched, err := NewStepDecay(0.1, 10, nil, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	p := param("w", nn.Forward, 1)
	o := mustSGD(t, []*nn.Param{p}, SGDConfig{LR: sched, Momentum: 0.9})
	p.Grad.Data[0] = 1
	o.Step()
	if p.Value.Data[0] != 1 || o.vel[0][0] != 1 {
		t.Errorf("after step 0 at rate 0: w = %v, v = %v; want 1, 1", p.Value.Data[0], o.vel[0][0])
	}
}

func TestFilter(t *testing.T) {
	params := []*nn.Param{
		param("w", nn.Forward, 1),
		param("b", nn.Feedback, 1),
		param("bn", nn.Norm, 1),
	}
	for _, p := range params {
		p.Grad.Data[0] = 1
	}
	align := mustSGD(t, params, SGDConfig{LR: Constant(0.5), Filter: OnlyKinds(nn.Feedback)})
	task := mustSGD(t, params, SGDConfig{LR: Constant(0.25), Filter: ExceptKinds(nn.Feedback)})
	if n := len(align.Params()); n != 1 {
		t.Errorf("OnlyKinds(Feedback) selected %d params, want 1", n)
	}
	align.Step()
	task.Step()
	for _, p := range params {
		want := 0.75
		if p.Kind == nn.Feedback {
			want = 0.5
		}
		if got := p.Value.Data[0]; !near(got, want) {
			t.Errorf("%s = %v, want %v (each param stepped by exactly one optimizer)", p.Name, got, want)
		}
	}
}

func TestNewSGDErrors(t *testing.T) {
	ok := func() []*nn.Param { return []*nn.Param{param("w", nn.Forward, 1), param("b", nn.Feedback, 1)} }
	short := param("w", nn.Forward, 1, 2)
	short.Grad = tensor.New(1)
	for _, tc := range []struct {
		name   string
		params []*nn.Param
		cfg    SGDConfig
		want   string
	}{
		{"no schedule", ok(), SGDConfig{}, "no learning-rate schedule"},
		{"negative lr", ok(), SGDConfig{LR: Constant(-0.1)}, "learning rate -0.1"},
		{"nan lr", ok(), SGDConfig{LR: Constant(math.NaN())}, "learning rate NaN"},
		{"momentum 1", ok(), SGDConfig{LR: Constant(1), Momentum: 1}, "momentum 1 outside"},
		{"negative momentum", ok(), SGDConfig{LR: Constant(1), Momentum: -0.5}, "momentum -0.5"},
		{"negative decay", ok(), SGDConfig{LR: Constant(1), WeightDecay: -1e-4}, "weight decay -0.0001"},
		{"nothing selected", ok(), SGDConfig{LR: Constant(1), Filter: OnlyKinds(nn.Norm)}, "no parameter selected"},
		{"duplicate name", []*nn.Param{param("w", nn.Forward, 1), param("w", nn.Feedback, 1)}, SGDConfig{LR: Constant(1)}, `"w" used twice`},
		{"empty name", []*nn.Param{param("", nn.Bias, 1)}, SGDConfig{LR: Constant(1)}, "has no name"},
		{"nil param", []*nn.Param{nil}, SGDConfig{LR: Constant(1)}, "parameter 0 is nil"},
		{"grad length", []*nn.Param{short}, SGDConfig{LR: Constant(1)}, "2 values but 1 gradients"},
		{"noise variance", ok(), SGDConfig{LR: Constant(1), Noise: &Noise{Variance: -1, Dist: Normal, Site: SiteAll}}, "noise variance -1"},
		{"noise dist unset", ok(), SGDConfig{LR: Constant(1), Noise: &Noise{Variance: 1, Site: SiteAll}}, "distribution not set"},
		{"noise site unset", ok(), SGDConfig{LR: Constant(1), Noise: &Noise{Variance: 1, Dist: Uniform}}, "site not set"},
		{"noise site b without b", []*nn.Param{param("w", nn.Forward, 1)}, SGDConfig{LR: Constant(1), Noise: &Noise{Variance: 1, Dist: Normal, Site: SiteB}}, "no feedback weight"},
	} {
		_, err := NewSGD(tc.params, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: NewSGD error = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func BenchmarkStep(b *testing.B) {
	const n = 1 << 16
	for _, nest := range []bool{false, true} {
		for _, dist := range []string{"none", "normal", "uniform"} {
			b.Run(fmt.Sprintf("nesterov=%v/noise=%s/elems=%d", nest, dist, 4*n), func(b *testing.B) {
				params := []*nn.Param{
					nn.NewParam("w", nn.Forward, n), nn.NewParam("b", nn.Feedback, n),
					nn.NewParam("bn", nn.Norm, n), nn.NewParam("bias", nn.Bias, n),
				}
				for _, p := range params {
					p.Grad.Fill(1e-3)
				}
				cfg := SGDConfig{LR: Constant(1e-3), Momentum: 0.9, Nesterov: nest, WeightDecay: 1e-4}
				if dist != "none" {
					d, _ := noise.ParseDist(dist)
					cfg.Noise = &Noise{Variance: 1e-4, Dist: d, Site: SiteAll, Seed: 1}
				}
				o := mustSGD(b, params, cfg)
				b.SetBytes(4 * n * 20) // per element: w and v read and written, g read
				b.ReportAllocs()
				for b.Loop() {
					o.Step()
				}
			})
		}
	}
}

// The hot path allocates nothing, with or without noise.
func TestStepAllocs(t *testing.T) {
	for _, noise := range []*Noise{nil, {Variance: 1, Dist: Normal, Site: SiteAll}, {Variance: 1, Dist: Uniform, Site: SiteB}} {
		params := noiseParams()
		sched, err := NewCosine(0.1, 100, 10)
		if err != nil {
			t.Fatal(err)
		}
		o := mustSGD(t, params, SGDConfig{LR: sched, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4, Noise: noise})
		if n := testing.AllocsPerRun(100, o.Step); n != 0 {
			t.Errorf("Step with noise %+v: %v allocations, want 0", noise, n)
		}
	}
}
