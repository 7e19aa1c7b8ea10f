package vec

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzMatchesGeneric checks that every implementation of the functions
// gives the generic one's bits on arbitrary float32 inputs, NaNs,
// infinities and subnormals included (NaNs alike for BatchNorm's four,
// exact bits for the elementwise ones and dst of the pass's functions but
// sums of two NaNs, NaNs alike for the pass's sums): x is the first half of
// data, dy the second.
func FuzzMatchesGeneric(f *testing.F) {
	seed := make([]byte, 4*2*37)
	for i := 0; i < len(seed)/4; i++ {
		binary.LittleEndian.PutUint32(seed[4*i:], math.Float32bits(float32(i)*0.37-5))
	}
	f.Add(seed, float32(0.1), float32(1.3), float32(0.9), float32(-0.2))
	f.Add([]byte{}, float32(0), float32(1), float32(1), float32(0))
	f.Fuzz(func(t *testing.T, data []byte, mu, is, g, b float32) {
		if len(impls) < 2 {
			t.Skip("only the generic loops here")
		}
		v := make([]float32, len(data)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		x, dy := v[:len(v)/2], v[len(v)/2:2*(len(v)/2)]
		type result struct {
			s, ss, sdy, sdyx float64
			norm, grad       []float32
			elem             [4][]float32  // elementwiseOps on dy, x
			dots             [4][3]float64 // dotsForms on x, dy (a = g, b = b)
			dotsDst          [4][]float32
		}
		run := func() (r result) {
			r.s, r.ss = ShiftedSums(x, float64(mu))
			r.sdy, r.sdyx = DotHat(dy, x, mu, is)
			r.norm = make([]float32, len(x))
			Normalize(r.norm, x, mu, is, g, b)
			r.grad = make([]float32, len(x))
			NormGrad(r.grad, dy, x, mu, is, g, b, is)
			for i, op := range elementwiseOps {
				r.elem[i] = make([]float32, len(x))
				op.f(r.elem[i], dy, x)
			}
			for i, f := range dotsForms {
				r.dotsDst[i] = make([]float32, len(x))
				r.dots[i][0], r.dots[i][1], r.dots[i][2] = f.f(r.dotsDst[i], x, dy, g, b)
			}
			return r
		}
		var gen result
		withImpl(generic, func() { gen = run() })
		for _, im := range impls[1:] {
			var r result
			withImpl(im, func() { r = run() })
			if !same(r.s, gen.s) || !same(r.ss, gen.ss) {
				t.Errorf("%s: ShiftedSums = (%v, %v), generic (%v, %v)", im.name, r.s, r.ss, gen.s, gen.ss)
			}
			if !same(r.sdy, gen.sdy) || !same(r.sdyx, gen.sdyx) {
				t.Errorf("%s: DotHat = (%v, %v), generic (%v, %v)", im.name, r.sdy, r.sdyx, gen.sdy, gen.sdyx)
			}
			if i := sameSlice(r.norm, gen.norm); i >= 0 {
				t.Errorf("%s: Normalize dst[%d] = %v, generic %v", im.name, i, r.norm[i], gen.norm[i])
			}
			if i := sameSlice(r.grad, gen.grad); i >= 0 {
				t.Errorf("%s: NormGrad dst[%d] = %v, generic %v", im.name, i, r.grad[i], gen.grad[i])
			}
			for j, op := range elementwiseOps {
				if i := elemDiff(op.nanPair, r.elem[j], gen.elem[j], dy, x); i >= 0 {
					t.Errorf("%s: %s dst[%d] = %#08x, generic %#08x", im.name, op.name, i,
						math.Float32bits(r.elem[j][i]), math.Float32bits(gen.elem[j][i]))
				}
			}
			for j, f := range dotsForms {
				for k := range 3 {
					if !same(r.dots[j][k], gen.dots[j][k]) {
						t.Errorf("%s: %s sum %d = %v, generic %v", im.name, f.name, k, r.dots[j][k], gen.dots[j][k])
					}
				}
				// Which NaN a product of two NaNs (a·x) or a sum of two
				// (a·x + b·y, as in Add) keeps is unspecified; the products
				// can be NaNs without x and y (0·Inf).
				for i, d := range r.dotsDst[j] {
					ax, by := g*x[i], b*dy[i]
					pair := g != g && x[i] != x[i] || f.hasV && (b != b && dy[i] != dy[i] || ax != ax && by != by)
					if !sameBits(d, gen.dotsDst[j][i], d, d, pair) {
						t.Errorf("%s: %s dst[%d] = %#08x, generic %#08x", im.name, f.name, i,
							math.Float32bits(d), math.Float32bits(gen.dotsDst[j][i]))
						break
					}
				}
			}
		}
	})
}
