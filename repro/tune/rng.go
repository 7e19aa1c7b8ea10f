package tune

import (
	"math"
	"math/rand/v2"
)

// Stream tags keep the random-search streams and the TPE streams apart, so
// that the random point of index i and the TPE point (h, k) never share
// draws, whatever the indices.
const (
	tagRandom uint64 = 0x72616e646f6d0001 // "random"
	tagTPE    uint64 = 0x7470650000000002 // "tpe"
	tagStrata uint64 = 0x7374726174610003 // "strata"
)

// splitmix is SplitMix64's finaliser: a bijection on uint64 that spreads
// nearby inputs (seeds 1, 2, 3, indices 0, 1, 2) over the whole range.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// stream is one independent source of draws: a PCG (math/rand/v2) whose
// 128-bit seed is (seed, tag) in the high word and the indices (a, b) in the
// low word. Floats and normals are derived from its raw 64-bit outputs here,
// so the draws depend only on the PCG algorithm, which math/rand/v2 fixes,
// and not on how a Rand maps bits to floats.
type stream struct{ pcg *rand.PCG }

func newStream(seed, tag, a, b uint64) stream {
	hi := splitmix(seed ^ splitmix(tag))
	lo := splitmix(splitmix(a) ^ b)
	return stream{rand.NewPCG(hi, lo)}
}

// uniform returns a float64 in [0, 1) with 53 random bits.
func (s stream) uniform() float64 {
	return float64(s.pcg.Uint64()>>11) * 0x1p-53
}

// normal returns a standard normal draw (Box–Muller; the second value of
// the pair is dropped so every call uses exactly two outputs).
func (s stream) normal() float64 {
	u1 := 1 - s.uniform() // (0, 1]: the log is finite
	u2 := s.uniform()
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// pick returns an index drawn with probabilities w (which sum to 1, up to
// rounding; the last index absorbs any rounding shortfall).
func (s stream) pick(w []float64) int {
	u := s.uniform()
	acc := 0.0
	for i, wi := range w {
		acc += wi
		if u < acc {
			return i
		}
	}
	return len(w) - 1
}

// permutation returns a permutation of 0..n−1 (Fisher–Yates).
func (s stream) permutation(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(s.uniform() * float64(i+1))
		p[i], p[j] = p[j], p[i]
	}
	return p
}
