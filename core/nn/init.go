package nn

import (
	"math"
	"math/rand/v2"
)

// HeNormal fills p with N(0, 2/fanIn), the variance-scaling (fan-in)
// initialisation of ReLU networks. Forward and feedback weights are drawn
// independently from it, so B starts unrelated to W.
func HeNormal(p *Param, fanIn int, rng *rand.Rand) {
	std := math.Sqrt(2 / float64(fanIn))
	for i := range p.Value.Data {
		p.Value.Data[i] = float32(rng.NormFloat64() * std)
	}
}
