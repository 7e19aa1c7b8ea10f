package noise

import (
	"math"

	"github.com/untied-ml/untied/core/sched"
	"github.com/untied-ml/untied/core/tensor"
)

// blockLen is the elements of dst one generator stream fills. Blocks are
// the unit of parallel work and of reproducibility: block b of a call
// always draws from the same stream, whichever goroutine runs it.
const blockLen = 2048

// A Filler fills slices with noise of its distribution and σ, in
// parallel on core/sched's pool and reproducibly: the value Fill writes at
// index i depends only on the Filler's Dist and Sigma, the key
// (seed, step, stream), i and, for normals, whether the CPU has AVX-512 —
// not on the thread count, nor on earlier calls — so a run resumed from a checkpoint at a step draws what an
// uninterrupted one drew there.
//
// dst is cut into blocks of blockLen elements; block b draws from a
// SplitMix64 generator (Steele, Lea & Flood 2014) started at a hash of the
// key and b. Uniform values come from 23 random bits. Normal values come,
// where the CPU has AVX-512, from inverting the normal CDF sixteen at a
// time (normalInv: Giles's single-precision erfinv, relative error below
// 3·10⁻⁷, |x| ≤ 5.42σ); elsewhere from Marsaglia & Tsang's ziggurat
// (normal: exact in distribution, but a branchy draw at a time, which SIMD
// does badly). The two give different values under one key, as different
// GEMM kernels round differently. On one thread the AVX-512 loop draws
// normals twice as fast as the ziggurat, which draws them twice as fast as
// math/rand/v2's NormFloat64 on a PCG source (BenchmarkNormal: 1.7, 3.4
// and 6.8 ns a value on an AVX-512 Xeon); the blocks run on every core.
//
// A Filler is not safe for concurrent Fill calls (Fill keeps the call's
// arguments in the Filler so its parallel loop allocates nothing).
type Filler struct {
	Dist  Dist
	Sigma float64

	// The call in progress, read by Range: its length and destination
	// (a slice, or a tensor), key, σ (times Add's scale) and, for
	// normals, the ziggurat's widths times σ.
	n     int
	dst   []float32
	place *tensor.Tensor
	key   uint64
	add   bool
	sigma float64
	w     [zigN]float32
}

// Fill overwrites dst with noise drawn under the key (seed, step, stream).
func (f *Filler) Fill(dst []float32, seed, step, stream uint64) {
	f.run(len(dst), dst, nil, 0, seed, step, stream)
}

// FillTensor overwrites t with the values Fill writes into a slice of
// t.Len() under the same key, in NCHW order wherever t keeps them: on a
// padded grid (tensor.Grid) each value lands at its place and the padding
// stays zero.
func (f *Filler) FillTensor(t *tensor.Tensor, seed, step, stream uint64) {
	f.run(t.Len(), nil, t, 0, seed, step, stream)
}

// Add adds to dst the noise Fill draws under the same key, times scale
// (equal to scale times Fill's values up to float32 rounding), without
// a buffer of dst's size.
func (f *Filler) Add(dst []float32, scale float64, seed, step, stream uint64) {
	if scale != 0 {
		f.run(len(dst), dst, nil, scale, seed, step, stream)
	}
}

func (f *Filler) run(n int, dst []float32, place *tensor.Tensor, scale float64, seed, step, stream uint64) {
	if f.Dist != Normal && f.Dist != Uniform {
		panic("noise: Filler with no distribution set") // a programming error: callers validate flags
	}
	f.n, f.dst, f.place, f.key = n, dst, place, mix(mix(mix(seed^0x6e6f697365)+step)+stream)
	f.add, f.sigma = scale != 0, f.Sigma
	if f.add {
		f.sigma *= scale
	}
	if f.Dist == Normal {
		for i := range f.w {
			f.w[i] = float32(zigW[i] * f.sigma)
		}
	}
	sched.Parallel((n+blockLen-1)/blockLen, 8, f)
	f.dst, f.place = nil, nil
}

// Range draws blocks b0 to b1−1 of the call in progress (sched.Ranger).
func (f *Filler) Range(b0, b1 int) {
	var buf [blockLen]float32 // the draws, unless they go to dst directly
	for b := b0; b < b1; b++ {
		i0, i1 := b*blockLen, min((b+1)*blockLen, f.n)
		out := buf[:i1-i0]
		if f.dst != nil && !f.add {
			out = f.dst[i0:i1]
		}
		kb := mix(f.key + uint64(b)*0xd1b54a32d192ed03)
		switch g := (splitMix{kb}); {
		case f.Dist == Uniform:
			g.uniform(out, float32(math.Sqrt(3)*f.sigma))
		case haveFast:
			normalInv(out, kb, float32(math.Sqrt2*f.sigma))
		default:
			g.normal(out, &f.w, f.sigma)
		}
		switch {
		case f.place != nil:
			f.place.SetFlat(i0, out)
		case f.add:
			for i, v := range out {
				f.dst[i0+i] += v
			}
		}
	}
}

// splitMix is SplitMix64: a Weyl sequence hashed by mix.
type splitMix struct{ x uint64 }

// weyl is the Weyl sequence's step (2⁶⁴ over the golden ratio, odd).
const weyl = 0x9e3779b97f4a7c15

func (g *splitMix) next() uint64 {
	g.x += weyl
	return mix(g.x)
}

// mix is SplitMix64's finaliser, a bijection of 64-bit words whose every
// output bit depends on every input bit.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// open01 is a uniform float64 in (0, 1), never 0 (it feeds a logarithm).
func (g *splitMix) open01() float64 {
	return (float64(g.next()>>11) + 0.5) * (1.0 / (1 << 53))
}

// uniform fills d with U(−h, h): each value c·h/2²³ with c an odd integer
// drawn uniformly from ±(2²³ − 1), 23 random bits, so the values are
// symmetric about 0, exact in float32 up to the one rounding of the
// product, and at least an ulp inside ±h (24 bits would round the largest
// to h itself).
func (g *splitMix) uniform(d []float32, h float32) {
	s := h / (1 << 23)
	for i := 0; i < len(d); i += 2 {
		u := g.next()
		d[i] = uniformValue(u>>41, s)
		if i+1 < len(d) {
			d[i+1] = uniformValue(u>>9&(1<<23-1), s)
		}
	}
}

// uniformValue is uniform's value for the 23 bits k, s = h/2²³.
func uniformValue(k uint64, s float32) float32 {
	return float32(int32(2*k+1)-(1<<23)) * s
}
