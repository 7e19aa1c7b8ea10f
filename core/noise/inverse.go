package noise

import "math"

// normalInv fills d, one block with generator state kb, with normal values
// by inversion: word p of the block's SplitMix64 sequence,
// mix(kb + (p+1)·γ), gives values 2p (its low 32 bits) and 2p+1 (its
// high 32 bits), each invValue of its half. scale is √2·σ. Where the CPU
// has AVX-512, normalFast computes sixteen at a time, the same values bit
// for bit (the same float32 operations in the same order, no fused
// multiply-adds), and this loop the last few.
func normalInv(d []float32, kb uint64, scale float32) {
	for e := normalFast(d, kb, scale); e < len(d); e += 2 {
		u := mix(kb + uint64(e/2+1)*weyl)
		d[e] = invValue(uint32(u), scale)
		if e+1 < len(d) {
			d[e+1] = invValue(uint32(u>>32), scale)
		}
	}
}

// invValue maps 32 random bits h to a normal value times scale/√2:
// y = (2j+1)/2²⁴ for j the signed top 24 bits of h, uniform on (−1, 1)
// in steps of 2⁻²³, and scale·erfinv(y). The extremes, y = ±(1 − 2⁻²⁴),
// give ±5.42σ; the probability of a normal value beyond is 6·10⁻⁸.
func invValue(h uint32, scale float32) float32 {
	j := int32(h) >> 8
	y := float32(2*j+1) * 0x1p-24
	return float32(erfinv(y)) * scale
}

// erfinv is Giles's single-precision approximation of the inverse error
// function ("Approximating the erfinv function", GPU Computing Gems Jade
// Edition, 2011): a polynomial in w = −ln(1−y²), in w − 2.5 below 5 and in
// √w − 3 above, times y; relative error below 3·10⁻⁷ over every y
// invValue makes (TestErfinv). Every product is rounded before its sum
// (float32(…)), so no compiler fuses them: the AVX-512 loop must match.
func erfinv(y float32) float32 {
	w := -logf((1 - y) * (1 + y))
	var c *[9]float32
	if w < 5 {
		w, c = w-2.5, &erfinvCentral
	} else {
		w, c = float32(math.Sqrt(float64(w)))-3, &erfinvTail
	}
	p := c[0]
	for _, ci := range c[1:] {
		p = ci + float32(p*w)
	}
	return float32(p * y)
}

// Giles's coefficients, highest degree first.
var (
	erfinvCentral = [9]float32{2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
		0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941}
	erfinvTail = [9]float32{-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
		0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682}
)

// logf is ln t for a normal float32 t in (0, 1]: t = m·2ᵉ with m in
// [√½, √2), and ln m = 2·atanh(s), s = (m−1)/(m+1), |s| < 0.172, by its
// series to s⁹; relative error below 2·10⁻⁷.
func logf(t float32) float32 {
	b := math.Float32bits(t)
	e := float32(int32(b>>23) - 127)
	m := math.Float32frombits(b&(1<<23-1) | 0x3f800000) // in [1, 2)
	if m > math.Sqrt2 {
		m, e = m*0.5, e+1
	}
	f := m - 1
	s := f / (2 + f)
	s2 := float32(s * s)
	q := float32(1.0 / 9)
	q = 1.0/7 + float32(q*s2)
	q = 1.0/5 + float32(q*s2)
	q = 1.0/3 + float32(q*s2)
	s += s
	return float32(e*math.Ln2) + (s + float32(float32(s*s2)*q))
}
