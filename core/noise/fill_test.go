package noise

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"testing"

	"github.com/untied-ml/untied/core/tensor"
)

// ksDistance is the Kolmogorov–Smirnov statistic of the sample x against
// the continuous CDF cdf: the largest gap between the empirical and the
// true distribution function.
func ksDistance(x []float32, cdf func(float64) float64) float64 {
	s := make([]float64, len(x))
	for i, v := range x {
		s[i] = float64(v)
	}
	sort.Float64s(s)
	n := float64(len(s))
	var d float64
	for i, v := range s {
		c := cdf(v)
		d = max(d, math.Abs(c-float64(i)/n), math.Abs(float64(i+1)/n-c))
	}
	return d
}

func normalCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// ksCritical is the KS statistic a sample of n exceeds with probability
// 1e-4 when it is drawn from the distribution (√(ln(2/α)/2)/√n).
func ksCritical(n int) float64 { return math.Sqrt(math.Log(2/1e-4)/2) / math.Sqrt(float64(n)) }

// TestNormal: a million values are N(0, σ²) by the KS test, the moments
// and the tail frequencies beyond the ziggurat's base layer (|x| > r,
// which the tail algorithm draws) and far out (|x| > 4), each within 5
// standard errors of a binomial count.
func TestNormal(t *testing.T) {
	const n, sigma = 1 << 20, 0.5
	f := Filler{Dist: Normal, Sigma: sigma}
	d := make([]float32, n)
	f.Fill(d, 1, 2, 3)
	if ks, c := ksDistance(d, func(x float64) float64 { return normalCDF(x / sigma) }), ksCritical(n); ks > c {
		t.Errorf("KS distance to N(0, %v²) %.5f, above %.5f", sigma, ks, c)
	}
	var m1, m2, m4 float64
	for _, v := range d {
		z := float64(v) / sigma
		m1, m2, m4 = m1+z, m2+z*z, m4+z*z*z*z
	}
	m1, m2, m4 = m1/n, m2/n, m4/n
	if math.Abs(m1) > 5/math.Sqrt(n) || math.Abs(m2-1) > 5*math.Sqrt(2.0/n) || math.Abs(m4-3) > 5*math.Sqrt(96.0/n) {
		t.Errorf("standardised moments: mean %.5f, E z² %.5f, E z⁴ %.4f; want 0, 1, 3", m1, m2, m4)
	}
	for _, cut := range []float64{zigR, 4} {
		p := 2 * normalCDF(-cut)
		count := 0
		for _, v := range d {
			if math.Abs(float64(v)/sigma) > cut {
				count++
			}
		}
		want := p * n
		if math.Abs(float64(count)-want) > 5*math.Sqrt(want*(1-p)) {
			t.Errorf("|z| > %v: %d values, want %.0f ± %.0f", cut, count, want, math.Sqrt(want))
		}
	}
}

// TestUniform: values lie in (−√3σ, √3σ), the extremes strictly inside
// for any h, and are uniform there by the KS test.
func TestUniform(t *testing.T) {
	const n, sigma = 1 << 20, 2.0
	f := Filler{Dist: Uniform, Sigma: sigma}
	d := make([]float32, n)
	f.Fill(d, 1, 2, 3)
	h := math.Sqrt(3) * sigma
	for _, v := range d {
		if !(math.Abs(float64(v)) < h) {
			t.Fatalf("uniform value %v outside ±%v", v, h)
		}
	}
	for _, hh := range []float32{1, float32(math.Sqrt(3) * 0.3), float32(math.Sqrt(3) * 2), 1e-30, 3.4e38} {
		for _, k := range []uint64{0, 1<<23 - 1} {
			if v := uniformValue(k, hh/(1<<23)); !(v > -hh && v < hh) || v != -uniformValue(1<<23-1-k, hh/(1<<23)) {
				t.Errorf("h %v: the extreme value %v is not strictly inside ±h, or not mirrored", hh, v)
			}
		}
	}
	cdf := func(x float64) float64 { return (x + h) / (2 * h) }
	if ks, c := ksDistance(d, cdf), ksCritical(n); ks > c {
		t.Errorf("KS distance to U(−%v, %v) %.5f, above %.5f", h, h, ks, c)
	}
}

// TestFillIsReproducible: the values depend on the key and the index
// only: the same on 1 and 4 threads, the same as a prefix of a longer
// fill, and different (no value in common at the same index beyond
// chance) under another seed, step or stream.
func TestFillIsReproducible(t *testing.T) {
	for _, dist := range []Dist{Normal, Uniform} {
		f := Filler{Dist: dist, Sigma: 1}
		const n = 5*blockLen + 77
		var byThreads [][]float32
		for _, procs := range []int{1, 4} {
			prev := runtime.GOMAXPROCS(procs)
			d := make([]float32, n)
			f.Fill(d, 7, 100, 2)
			runtime.GOMAXPROCS(prev)
			byThreads = append(byThreads, d)
		}
		if !slices.Equal(byThreads[0], byThreads[1]) {
			t.Errorf("%v: one thread and four give different values", dist)
		}
		short := make([]float32, 3*blockLen+5)
		f.Fill(short, 7, 100, 2)
		if !slices.Equal(short, byThreads[0][:len(short)]) {
			t.Errorf("%v: a shorter fill is not a prefix of a longer one", dist)
		}
		for _, key := range [][3]uint64{{8, 100, 2}, {7, 101, 2}, {7, 100, 3}} {
			d := make([]float32, n)
			f.Fill(d, key[0], key[1], key[2])
			same := 0
			for i := range d {
				if d[i] == byThreads[0][i] {
					same++
				}
			}
			if same > 2 {
				t.Errorf("%v: key %v shares %d of %d values with key (7, 100, 2)", dist, key, same, n)
			}
		}
	}
}

// TestBlocksAreUncorrelated: neighbouring blocks' streams (and a value
// and its neighbour within a block, drawn from one 64-bit word) show no
// correlation beyond 5/√n.
func TestBlocksAreUncorrelated(t *testing.T) {
	f := Filler{Dist: Normal, Sigma: 1}
	const blocks = 256
	d := make([]float32, blocks*blockLen)
	f.Fill(d, 1, 1, 1)
	corr := func(x, y []float32) float64 {
		var sxy, sxx, syy float64
		for i := range x {
			sxy += float64(x[i]) * float64(y[i])
			sxx += float64(x[i]) * float64(x[i])
			syy += float64(y[i]) * float64(y[i])
		}
		return sxy / math.Sqrt(sxx*syy)
	}
	across := corr(d[:len(d)-blockLen], d[blockLen:])
	if n := float64(len(d) - blockLen); math.Abs(across) > 5/math.Sqrt(n) {
		t.Errorf("correlation of block b and b+1 at the same offset %.5f, above %.5f", across, 5/math.Sqrt(n))
	}
	even, odd := make([]float32, 0, len(d)/2), make([]float32, 0, len(d)/2)
	for i := 0; i < len(d); i += 2 {
		even, odd = append(even, d[i]), append(odd, d[i+1])
	}
	if r := corr(even, odd); math.Abs(r) > 5/math.Sqrt(float64(len(even))) {
		t.Errorf("correlation of the two values of a word %.5f", r)
	}
}

// TestFillTensor: FillTensor writes Fill's values in NCHW order, dense or
// on a padded grid (whose padding stays zero), allocating nothing.
func TestFillTensor(t *testing.T) {
	const n, c, h, w = 3, 5, 17, 19 // blocks end mid-row
	want := make([]float32, n*c*h*w)
	f := Filler{Dist: Normal, Sigma: 1}
	f.Fill(want, 1, 2, 3)
	dense := tensor.New(n, c, h, w)
	f.FillTensor(dense, 1, 2, 3)
	if !slices.Equal(dense.Data, want) {
		t.Errorf("FillTensor on a dense tensor differs from Fill")
	}
	g := &tensor.Grid{RowPitch: w + 2, ImagePitch: (h + 1) * (w + 2), Origin: w + 3}
	g.Plane = g.Origin + n*g.ImagePitch + w + 2
	grid := tensor.OnGrid(nil, g, n, c, h, w)
	f.FillTensor(grid, 1, 2, 3)
	if !slices.Equal(grid.Dense(nil).Data, want) {
		t.Errorf("FillTensor on a grid: its values in NCHW order differ from Fill's")
	}
	nonzero := 0
	for _, v := range grid.Data {
		if v != 0 {
			nonzero++
		}
	}
	if nonzero != len(want) {
		t.Errorf("FillTensor on a grid: %d nonzero values, want %d (padding written)", nonzero, len(want))
	}
	if a := testing.AllocsPerRun(10, func() { f.FillTensor(grid, 1, 2, 3) }); a != 0 {
		t.Errorf("FillTensor allocates %v times per call, want 0", a)
	}
}

func TestFillAllocatesNothing(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	f := Filler{Dist: Normal, Sigma: 1}
	d := make([]float32, 64*blockLen)
	f.Fill(d, 1, 1, 1) // grow the worker pool
	if a := testing.AllocsPerRun(20, func() { f.Fill(d, 1, 1, 1) }); a != 0 {
		t.Errorf("Fill allocates %v times per call, want 0", a)
	}
}

// BenchmarkNormal compares Fill with the per-element math/rand/v2 loop it
// replaced in core/align, on one thread (-cpu 1) or more.
func BenchmarkNormal(b *testing.B) {
	d := make([]float32, 1<<20)
	b.Run("impl=fill", func(b *testing.B) {
		f := Filler{Dist: Normal, Sigma: 1}
		b.SetBytes(int64(4 * len(d)))
		for i := 0; b.Loop(); i++ {
			f.Fill(d, 1, uint64(i), 0)
		}
	})
	if haveFast {
		b.Run("impl=fill-go", func(b *testing.B) { // the fast path off
			defer func() { haveFast = true }()
			haveFast = false
			f := Filler{Dist: Normal, Sigma: 1}
			b.SetBytes(int64(4 * len(d)))
			for i := 0; b.Loop(); i++ {
				f.Fill(d, 1, uint64(i), 0)
			}
		})
	}
	b.Run("impl=mathrand", func(b *testing.B) {
		r := rand.New(rand.NewPCG(1, 2))
		b.SetBytes(int64(4 * len(d)))
		for b.Loop() {
			for i := range d {
				d[i] = float32(r.NormFloat64())
			}
		}
	})
}

// TestAdd: Add puts scale times Fill's values (up to rounding) onto dst.
func TestAdd(t *testing.T) {
	for _, dist := range []Dist{Normal, Uniform} {
		f := Filler{Dist: dist, Sigma: 0.3}
		const n, scale = 3*blockLen + 11, 0.01
		want := make([]float32, n)
		f.Fill(want, 4, 5, 6)
		got := make([]float32, n)
		for i := range got {
			got[i] = 1
		}
		f.Add(got, scale, 4, 5, 6)
		for i := range got {
			if w := 1 + scale*float64(want[i]); math.Abs(float64(got[i])-w) > 1e-6 {
				t.Fatalf("%v: Add gave %v at %d, want 1 + %v·%v = %v", dist, got[i], i, scale, want[i], w)
			}
		}
	}
}

// TestFastPathIsExact: where the CPU has it, the AVX-512 fast path gives
// the Go loop's values bit for bit, on fills long and short (whose last
// few values the Go loop draws) and across the draws off the fast path
// (about 30 a block) at which it hands over.
func TestFastPathIsExact(t *testing.T) {
	if !haveFast {
		t.Skip("no AVX-512 fast path on this CPU or build")
	}
	for _, n := range []int{1, 7, 8, 9, 63, blockLen, 3*blockLen + 5, 40000} {
		for _, sigma := range []float64{1, 0.013} {
			f := Filler{Dist: Normal, Sigma: sigma}
			fast, slow := make([]float32, n), make([]float32, n)
			f.Fill(fast, 7, uint64(n), 3)
			haveFast = false
			f.Fill(slow, 7, uint64(n), 3)
			haveFast = true
			for i := range fast {
				if math.Float32bits(fast[i]) != math.Float32bits(slow[i]) {
					t.Fatalf("n=%d σ=%v: value %d is %v on the fast path, %v in Go", n, sigma, i, fast[i], slow[i])
				}
			}
		}
	}
}

// TestSqueezeIsExact: underDensity answers y < math.Exp(−x²/2) as the
// plain comparison does, in every layer, on draws spread over the wedge
// and on heights within a few ulps of the density (where only the
// exponential can decide); and the squeeze alone decides at least 98 % of
// the spread draws, or it would not be worth its tables.
func TestSqueezeIsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	decided, spread := 0, 0
	for i := uint64(1); i < zigN; i++ {
		s := &zigS[i]
		lo, hi := max(s.lo-zigW[i], 0), zigW[i]*(1<<31)
		for range 4000 {
			x := lo + r.Float64()*(hi-lo)
			if r.IntN(2) == 0 {
				x = -x
			}
			f := math.Exp(-0.5 * x * x)
			y := zigF[i] + r.Float64()*(zigF[i-1]-zigF[i])
			spread++
			if _, ok := s.decide(x, y); ok {
				decided++
			}
			for _, y := range []float64{y, f * (1 - 3*0x1p-52), f * (1 - 0x1p-52), f, f * (1 + 0x1p-52), f * (1 + 3*0x1p-52)} {
				if got, want := underDensity(i, x, y), y < f; got != want {
					t.Fatalf("layer %d, x = %v, y = %v: underDensity says %v, the comparison %v", i, x, y, got, want)
				}
			}
		}
	}
	if frac := float64(decided) / float64(spread); frac < 0.98 {
		t.Errorf("the squeeze decided %.3f of the draws, want at least 0.98", frac)
	}
}
