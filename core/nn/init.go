package nn

import (
	"math"
	"math/rand/v2"
)

// HeNormal fills p with N(0, 2/fanIn), the variance-scaling (fan-in)
// initialisation of ReLU networks. Forward and feedback weights are drawn
// independently from it, so B starts unrelated to W.
// It returns the standard deviation, √(2/fanIn).
func HeNormal(p *Param, fanIn int, rng *rand.Rand) float64 {
	std := math.Sqrt(2 / float64(fanIn))
	for i := range p.Value.Data {
		p.Value.Data[i] = float32(rng.NormFloat64() * std)
	}
	return std
}

// XavierUniform fills p with U(−a, a), a = √(6/(fanIn+fanOut)), Glorot and
// Bengio's initialisation as PyTorch's xavier_uniform_ draws it (a conv's
// fans count its kernel's taps: In·K² and Out·K²); BioTorch initialises
// W and B of its benchmarks so. It returns the standard deviation,
// √(2/(fanIn+fanOut)).
func XavierUniform(p *Param, fanIn, fanOut int, rng *rand.Rand) float64 {
	a := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range p.Value.Data {
		p.Value.Data[i] = float32((2*rng.Float64() - 1) * a)
	}
	return a / math.Sqrt(3)
}
