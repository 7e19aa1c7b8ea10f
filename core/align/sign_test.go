package align

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

// TestSign: after Before, B = sign(W)·M, on layers drawn He's way and
// Xavier's (σ² = 2/fanIn or 2/(fanIn+fanOut)). uSF: |B| = σ exactly (as
// float32). brSF and frSF: M uniform on [0, √3·σ), so E[B²] = σ²; the
// sample mean of B² = 3σ²·u² over n elements has
// relative standard deviation √(0.8/n), and the test allows 5 of them
// (n = 20000: 3.2 %); no |B| lies past the support's end, and a fifth of
// them lie in each fifth of it, within 5 binomial standard deviations.
// brSF redraws every Before, frSF keeps its magnitudes when W changes.
func TestSign(t *testing.T) {
	for _, tc := range []struct {
		name  string
		layer func(*rand.Rand) nn.Untied
		v     float64 // E[B²]: the layer's initialisation variance
	}{
		{"dense", func(r *rand.Rand) nn.Untied { return nn.NewDense("d", 100, 200, false, r) }, 2.0 / 100},
		{"conv", func(r *rand.Rand) nn.Untied { return nn.NewConv2D("c", 20, 110, 3, 1, 1, false, r) }, 2.0 / 180},
		{"dense-xavier", func(r *rand.Rand) nn.Untied {
			d := nn.NewDense("d", 100, 200, false, r)
			d.InitXavier(r)
			return d
		}, 2.0 / 300},
		{"conv-xavier", func(r *rand.Rand) nn.Untied {
			c := nn.NewConv2D("c", 20, 110, 3, 1, 1, false, r)
			c.InitXavier(r)
			return c
		}, 2.0 / (180 + 990)},
	} {
		for _, mode := range []string{"usf", "brsf", "frsf"} {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				u := tc.layer(rand.New(rand.NewPCG(2, 2)))
				spec, _ := Preset(mode)
				r, err := New(spec, []nn.Untied{u}, 0, 2)
				if err != nil {
					t.Fatal(err)
				}
				wp, bp := u.Weights()
				v := tc.v
				n := float64(bp.Value.Len())
				var prev []float32
				for step := 0; step < 3; step++ {
					r.Before(step)
					var s2 float64
					var fifths [5]int
					for j, w := range wp.Value.Data {
						b := bp.Value.Data[j]
						if (w > 0) != (b > 0) || (w < 0) != (b < 0) {
							t.Fatalf("B[%d] = %v, W[%d] = %v: signs differ", j, b, j, w)
						}
						if mode == "usf" && math.Abs(float64(b)) != float64(float32(math.Sqrt(v))) {
							t.Fatalf("uSF |B[%d]| = %v, want %v", j, b, math.Sqrt(v))
						}
						s2 += float64(b) * float64(b)
						if u := math.Abs(float64(b)) / math.Sqrt(3*v); u >= 1 {
							t.Fatalf("%s |B[%d]| = %v, past the support's end %v", mode, j, b, math.Sqrt(3*v))
						} else if w != 0 {
							fifths[int(5*u)]++
						}
					}
					if got := s2 / n; math.Abs(got-v) > 5*math.Sqrt(0.8/n)*v {
						t.Errorf("step %d: mean B² = %v, want %v", step, got, v)
					}
					if mode != "usf" {
						for k, c := range fifths {
							if math.Abs(float64(c)-n/5) > 5*math.Sqrt(n*0.2*0.8) {
								t.Errorf("step %d: %d of %v magnitudes in fifth %d of the support, want about %v", step, c, n, k, n/5)
							}
						}
					}
					mags := make([]float32, len(bp.Value.Data))
					for j, b := range bp.Value.Data {
						mags[j] = float32(math.Abs(float64(b)))
					}
					if prev != nil {
						same := true
						for j := range mags {
							same = same && mags[j] == prev[j]
						}
						if same != (mode != "brsf") {
							t.Errorf("step %d: magnitudes unchanged = %v for %s", step, same, mode)
						}
					}
					prev = mags
					for j := range wp.Value.Data { // flip some signs of W
						if j%3 == step {
							wp.Value.Data[j] = -wp.Value.Data[j]
						}
					}
				}
			})
		}
	}
}

// TestInputNoise: with noise, the alignment input has x's shape, its
// moments are those asked for (5 standard errors), and a fresh draw is made
// every step (the layer's real input is 0, so Sparse > 0 shows the noise
// is what the loss reads). Moments: mean within 5·σ/√n, variance within
// 5·σ²·√((κ−1)/n), κ the kurtosis (3 normal, 1.8 uniform).
func TestInputNoise(t *testing.T) {
	for _, dist := range []Dist{Normal, Uniform} {
		for _, g := range []geom{{Dense: true, N: 64, In: 50, Out: 8}, {N: 16, In: 4, Out: 6, H: 8, W: 8, K: 3, S: 2, P: 1}} {
			rng := rand.New(rand.NewPCG(3, 3))
			u := g.layer(rng)
			x := tensor.New(g.xShape()...) // zeros: R would be 0 without noise
			u.Forward(x, true)
			const sigma = 0.5
			spec := Custom("noise", []Term{{Sparse, Const(1)}})
			spec.InputNoise = &InputNoise{Dist: dist, Sigma: sigma}
			r, err := New(spec, []nn.Untied{u}, 0, 3)
			if err != nil {
				t.Fatal(err)
			}
			r.AfterBackward(0)
			l := r.layers[0]
			if !l.noise.SameShape(g.xShape()...) {
				t.Fatalf("%v: noise shape %v, want %v", g, l.noise.Shape, g.xShape())
			}
			first := append([]float32(nil), l.noise.Data...)
			var m1, m2, m4 float64
			for _, v := range first {
				f := float64(v)
				m1, m2, m4 = m1+f, m2+f*f, m4+f*f*f*f
			}
			n := float64(len(first))
			m1, m2, m4 = m1/n, m2/n, m4/n
			kurt := 3.0
			if dist == Uniform {
				kurt = 1.8
			}
			if math.Abs(m1) > 5*sigma/math.Sqrt(n) {
				t.Errorf("%v %v: noise mean %v", dist, g, m1)
			}
			if math.Abs(m2-sigma*sigma) > 5*sigma*sigma*math.Sqrt((kurt-1)/n) {
				t.Errorf("%v %v: noise variance %v, want %v", dist, g, m2, sigma*sigma)
			}
			if math.Abs(m4/(m2*m2)-kurt) > 0.3 {
				t.Errorf("%v %v: noise kurtosis %v, want %v", dist, g, m4/(m2*m2), kurt)
			}
			if r.TermLoss(0, Sparse) <= 0 {
				t.Errorf("%v %v: Sparse = %v on noise, want > 0", dist, g, r.TermLoss(0, Sparse))
			}
			r.AfterBackward(1)
			same := 0
			for j, v := range l.noise.Data {
				if v == first[j] {
					same++
				}
			}
			if same > 0 {
				t.Errorf("%v %v: %d noise values repeated on the next step", dist, g, same)
			}
			if dist == Uniform {
				h := float32(math.Sqrt(3) * sigma)
				for _, v := range first {
					if v < -h || v > h {
						t.Fatalf("uniform noise %v outside ±%v", v, h)
					}
				}
			}
		}
	}
}

// TestInputNoiseResumes: the noise of a step depends on the seed and the
// step only, so a rule rebuilt at step 3 (a resumed run) draws what one
// that stepped from 0 drew there.
func TestInputNoiseResumes(t *testing.T) {
	g := geom{Dense: true, N: 8, In: 30, Out: 4}
	spec := Custom("noise", []Term{{Sparse, Const(1)}})
	spec.InputNoise = &InputNoise{Dist: Normal, Sigma: 1}
	draw := func(steps ...int) []float32 {
		u := g.layer(rand.New(rand.NewPCG(3, 3)))
		u.Forward(tensor.New(g.xShape()...), true)
		r, err := New(spec, []nn.Untied{u}, 0, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range steps {
			r.Before(s)
			r.AfterBackward(s)
		}
		return append([]float32(nil), r.layers[0].noise.Data...)
	}
	if a, b := draw(0, 1, 2, 3), draw(3); !slices.Equal(a, b) {
		t.Errorf("step 3's noise differs between a rule stepped from 0 and one started at 3")
	}
	if a, b := draw(3), draw(4); slices.Equal(a, b) {
		t.Errorf("steps 3 and 4 drew the same noise")
	}
}

// TestAllocs: once its scratch has grown, AfterBackward (and Before)
// allocates nothing of its own. Dense layers allocate nothing at all.
// Conv layers are checked against the same sequence of bare nn.Linear calls
// with pre-sized outputs: core/conv's worker dispatch allocates a closure
// per call, which align cannot avoid.
func TestAllocs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	all := []Term{{Decay, Const(1)}, {Amp, Const(1)}, {Null, Const(1)}, {Sparse, Const(1)}, {Self, Const(1)}, {NullBack, Const(1)}}
	specs := map[string]Spec{"all": Custom("all", all)}
	for _, n := range Presets() {
		specs[n], _ = Preset(n)
	}
	noisy := Custom("noisy", all)
	noisy.InputNoise = &InputNoise{Dist: Normal, Sigma: 1}
	specs["noisy"] = noisy
	small := noisy // a noise batch below the data's
	small.InputBatch = 1
	specs["noisy-batch"] = small
	part := Custom("part", all) // the data's first sample
	part.InputBatch = 1
	specs["data-batch"] = part
	for _, g := range []geom{geoms[0], geoms[3]} {
		u, _, _, _, _ := setup(g, 4)
		var base float64
		if !g.Dense {
			x := u.Input()
			wp, bp := u.Weights()
			pf := u.Apply(x, wp.Value.Data, nil)
			rf := u.Transpose(pf, bp.Value.Data, nil)
			// all: Apply×3, Transpose×2, Filter×2.
			base = testing.AllocsPerRun(10, func() {
				u.Apply(x, wp.Value.Data, pf)
				u.Apply(x, bp.Value.Data, pf)
				u.Transpose(pf, wp.Value.Data, rf)
				u.Apply(rf, wp.Value.Data, pf)
				u.Filter(x, pf, bp.Grad.Data, 1)
				u.Transpose(pf, bp.Value.Data, rf)
				u.Filter(rf, pf, bp.Grad.Data, 1)
			})
		}
		for name, s := range specs {
			r, err := New(s, []nn.Untied{u}, 100, 1)
			if err != nil {
				t.Fatal(err)
			}
			r.Before(0)
			r.AfterBackward(0)
			got := testing.AllocsPerRun(10, func() {
				r.Before(1)
				r.AfterBackward(1)
			})
			if got > base {
				t.Errorf("%v %s: %v allocations per step, want ≤ %v", g, name, got, base)
			}
		}
	}
}

// plainLayer hides a layer's nn.Fused methods, so a rule takes the plain
// paths with it.
type plainLayer struct{ nn.Untied }

// TestNoiseOnGrid: on a stride-1 conv with an input grid the rules on
// noise (WM; IA, whose reconstruction Rf goes on the same grid) draw it
// there, and B's gradient is bit for bit what it is with the noise dense
// (the layer seen as plain).
func TestNoiseOnGrid(t *testing.T) {
	for _, name := range []string{"wm", "ia"} {
		for _, batch := range []int{0, 1} { // 1: a noise batch below the data's 2
			spec, _ := Preset(name)
			spec.InputBatch = batch
			testNoiseOnGrid(t, spec)
		}
	}
}

func testNoiseOnGrid(t *testing.T, spec Spec) {
	for _, g := range geoms {
		if g.Dense || g.S != 1 {
			continue
		}
		var grads [2][]float32
		for k, plain := range []bool{false, true} {
			rng := rand.New(rand.NewPCG(5, 5))
			u := g.layer(rng)
			x := tensor.New(g.xShape()...)
			for i := range x.Data {
				x.Data[i] = float32(rng.NormFloat64())
			}
			u.Forward(x, true)
			rule := nn.Untied(u)
			if plain {
				rule = plainLayer{u}
			}
			r, err := New(spec, []nn.Untied{rule}, 100, 7)
			if err != nil {
				t.Fatal(err)
			}
			r.Before(3)
			r.AfterBackward(3)
			// A conv without an input grid (a 1×1 one on small images
			// takes the lowering) keeps the noise dense.
			want := !plain && u.(nn.Fused).InputGrid(x.Shape) != nil
			if onGrid := r.layers[0].noise.Grid != nil; onGrid != want {
				t.Fatalf("%s %v: noise on a grid %v with the layer plain %v", spec.Name, g, onGrid, plain)
			}
			if rf := r.layers[0].rf; rf != nil && g.K == 3 && (rf.Grid != nil) != want { // 1×1: no grid for Transpose
				t.Fatalf("%s %v: Rf on a grid %v with the layer plain %v", spec.Name, g, rf.Grid != nil, plain)
			}
			_, b := u.Weights()
			grads[k] = b.Grad.Data
		}
		if !slices.Equal(grads[0], grads[1]) {
			t.Errorf("%s %v: B's gradient with the noise on the grid differs from the dense noise's", spec.Name, g)
		}
	}
}
