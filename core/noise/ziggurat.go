package noise

import "math"

// normal fills d with N(0, σ²), one ziggurat draw per element from one
// 64-bit word: its high 32 bits the signed position j, its low 8 bits,
// independent of j, the layer (Doornik 2005: taking the layer from j's own
// bits, as Marsaglia and Tsang do, correlates it with the value). Draws
// inside their layer's rectangle (98.5 %) take the inlined fast path
// x = j·w[layer], w the layers' widths times σ.
func (g *splitMix) normal(d []float32, w *[zigN]float32, sigma float64) {
	for k := range d {
		u := g.next()
		j, i := int32(u>>32), u%zigN
		a := uint32(j)
		if j < 0 {
			a = -a
		}
		if a < zigK[i] {
			d[k] = float32(j) * w[i]
		} else {
			d[k] = float32(g.zig(j, i) * sigma)
		}
	}
}

// zig finishes a ziggurat draw that fell outside the rectangle of layer i
// at position j, drawing more words of g as it needs.
func (g *splitMix) zig(j int32, i uint64) float64 {
	for {
		x := float64(j) * zigW[i]
		a := uint32(j)
		if j < 0 {
			a = uint32(-int64(j))
		}
		switch {
		case a < zigK[i]:
			return x // inside the layer's rectangle
		case i == 0: // the base layer's tail beyond r, by Marsaglia's method
			for {
				t := -math.Log(g.open01()) / zigR
				y := -math.Log(g.open01())
				if y+y >= t*t {
					if j > 0 {
						return zigR + t
					}
					return -zigR - t
				}
			}
		case zigF[i]+g.open01()*(zigF[i-1]-zigF[i]) < math.Exp(-0.5*x*x):
			return x // in the wedge under the density
		}
		u := g.next()
		j, i = int32(u>>32), u%zigN
	}
}

// The ziggurat's zigN layers of equal area under exp(−x²/2), the base
// layer's rectangle ending at zigR (Marsaglia & Tsang 2000, §4; r for 256
// layers from Doornik 2005): zigK[i] is the fraction (of 2³¹) of layer i
// lying under the curve at every height, zigW its width per unit of
// draw, zigF the density at its top edge.
const (
	zigN = 256
	zigR = 3.6541528853610088
)

var (
	zigK [zigN]uint32
	zigW [zigN]float64
	zigF [zigN]float64
)

func init() {
	const m = 1 << 31
	f := func(x float64) float64 { return math.Exp(-0.5 * x * x) }
	// v, each layer's area: the base's rectangle and the tail beyond r.
	v := zigR*f(zigR) + math.Sqrt(math.Pi/2)*math.Erfc(zigR/math.Sqrt2)
	dn, tn := zigR, zigR
	q := v / f(dn)
	zigK[0], zigK[1] = uint32(dn/q*m), 0
	zigW[0], zigW[zigN-1] = q/m, dn/m
	zigF[0], zigF[zigN-1] = 1, f(dn)
	for i := zigN - 2; i >= 1; i-- {
		dn = math.Sqrt(-2 * math.Log(v/dn+f(dn)))
		zigK[i+1] = uint32(dn / tn * m)
		tn = dn
		zigF[i] = f(dn)
		zigW[i] = dn / m
	}
}
