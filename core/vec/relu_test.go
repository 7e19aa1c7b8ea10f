package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Tests of Relu, ReluGrad, Add and AddRelu. The assembly must give the
// generic loops' bits exactly, NaN payloads and signs included (not only
// NaN for NaN), and the generic loops must be Go's expressions max(v, 0),
// a + b and the bit-mask select, which is what core/nn computed before.
//
// One exception: a sum of two NaNs is one of them, and which one Go's a + b
// returns is the compiler's choice (ADDSS returns its first operand's, and
// the compiler orders the operands as register allocation suits it: the
// scalar loops core/nn had kept b's NaN in a + b and a's in max(a+b, 0);
// the assembly keeps a's), so there any NaN passes.

// bitsFrom is the float32 with bits u.
func bitsFrom(u uint32) float32 { return math.Float32frombits(u) }

// specials are the float32 edge cases: zeros, infinities, quiet and
// signalling NaNs of both signs and several payloads, subnormals, the
// extremes of the normal range.
var specials = []float32{
	0, bitsFrom(0x80000000), 1, -1, 0.5, -2.75,
	float32(math.Inf(1)), float32(math.Inf(-1)),
	bitsFrom(0x7fc00000), bitsFrom(0xffc00000), // quiet NaNs, Go's and the x86 default
	bitsFrom(0x7fc12345), bitsFrom(0xffd54321), // quiet NaNs with payloads
	bitsFrom(0x7f800001), bitsFrom(0xff800001), // signalling NaNs
	bitsFrom(0x7fbfffff), bitsFrom(0xff8abcde),
	bitsFrom(1), bitsFrom(0x80000001), // smallest subnormals
	bitsFrom(0x007fffff), bitsFrom(0x807fffff), // largest subnormals
	bitsFrom(0x00800000), bitsFrom(0x80800000), // smallest normals
	math.MaxFloat32, -math.MaxFloat32, 3e38, -3e38, 1e-40, -1e-40,
}

// sameBits reports whether got and want are the same bits, or both NaNs
// from two NaNs x and y when nanPair says which is unspecified.
func sameBits(got, want, x, y float32, nanPair bool) bool {
	if math.Float32bits(got) == math.Float32bits(want) {
		return true
	}
	return nanPair && got != got && want != want && x != x && y != y
}

// elemDiff returns the first index where got and want, results from x and
// y, differ as sameBits says, or −1.
func elemDiff(nanPair bool, got, want, x, y []float32) int {
	for i := range got {
		if !sameBits(got[i], want[i], x[i], y[i], nanPair) {
			return i
		}
	}
	return -1
}

// elementwiseOps are the four functions on two inputs x and y of equal
// length: Relu of x, ReluGrad with dy = x, Add and AddRelu of x and y.
var elementwiseOps = []struct {
	name    string
	f       func(dst, x, y []float32)
	def     func(x, y float32) float32 // the definition, on one element
	nanPair bool                       // a NaN from two NaNs may be either
}{
	{"Relu", func(dst, x, _ []float32) { Relu(dst, x) }, func(x, _ float32) float32 { return max(x, 0) }, false},
	{"ReluGrad", ReluGrad, func(dy, y float32) float32 {
		if y > 0 {
			return dy
		}
		return 0
	}, false},
	{"Add", Add, func(a, b float32) float32 { return a + b }, true},
	{"AddRelu", AddRelu, func(a, b float32) float32 { return max(a+b, 0) }, true},
}

// pairs returns every (x, y) of specials in two slices, padded with ones
// to a multiple of lanes so that every pair goes through the block loops.
func pairs() (x, y []float32) {
	for _, u := range specials {
		for _, v := range specials {
			x, y = append(x, u), append(y, v)
		}
	}
	for len(x)%lanes != 0 {
		x, y = append(x, 1), append(y, 1)
	}
	return x, y
}

// TestElementwiseSpecialBits checks every pair of special values: each
// implementation gives the generic loops' bits, and those are the
// definition's, Go's expressions compiled here.
func TestElementwiseSpecialBits(t *testing.T) {
	x, y := pairs()
	for _, op := range elementwiseOps {
		var gen []float32
		for _, im := range impls {
			dst := make([]float32, len(x))
			withImpl(im, func() { op.f(dst, x, y) })
			if im == generic {
				gen = dst
				for i, v := range dst {
					if want := op.def(x[i], y[i]); !sameBits(v, want, x[i], y[i], op.nanPair) {
						t.Errorf("%s(%#08x, %#08x) = %#08x, want %#08x", op.name,
							math.Float32bits(x[i]), math.Float32bits(y[i]), math.Float32bits(v), math.Float32bits(want))
					}
				}
			} else if i := elemDiff(op.nanPair, dst, gen, x, y); i >= 0 {
				t.Errorf("%s(%#08x, %#08x) %s = %#08x, generic %#08x", op.name, math.Float32bits(x[i]), math.Float32bits(y[i]),
					im.name, math.Float32bits(dst[i]), math.Float32bits(gen[i]))
			}
		}
	}
}

// TestElementwiseZeroSigns spells out what ±0 and NaN give: +0 from
// every zero and negative, whatever the operand order of a max
// instruction would make of −0, and a NaN from a NaN.
func TestElementwiseZeroSigns(t *testing.T) {
	negZero := bitsFrom(0x80000000)
	nan := bitsFrom(0xffc00000)
	n := 2*lanes + 3 // blocks and a tail
	for _, im := range impls {
		withImpl(im, func() {
			for _, c := range []struct {
				name    string
				f       func(dst, x, y []float32)
				x, y    float32
				want    uint32 // bits, or any NaN if nanOK
				wantNaN bool
			}{
				{"Relu(-0)", func(d, x, _ []float32) { Relu(d, x) }, negZero, 0, 0, false},
				{"Relu(+0)", func(d, x, _ []float32) { Relu(d, x) }, 0, 0, 0, false},
				{"Relu(-1)", func(d, x, _ []float32) { Relu(d, x) }, -1, 0, 0, false},
				{"Relu(-Inf)", func(d, x, _ []float32) { Relu(d, x) }, float32(math.Inf(-1)), 0, 0, false},
				{"Relu(+Inf)", func(d, x, _ []float32) { Relu(d, x) }, float32(math.Inf(1)), 0, 0x7f800000, false},
				{"Relu(-subnormal)", func(d, x, _ []float32) { Relu(d, x) }, bitsFrom(0x80000001), 0, 0, false},
				{"Relu(+subnormal)", func(d, x, _ []float32) { Relu(d, x) }, bitsFrom(1), 0, 1, false},
				{"Relu(NaN)", func(d, x, _ []float32) { Relu(d, x) }, nan, 0, 0, true},
				{"ReluGrad(dy=1, y=+subnormal)", ReluGrad, 1, bitsFrom(1), 0x3f800000, false},
				{"ReluGrad(dy=-0, y=1)", ReluGrad, negZero, 1, 0x80000000, false},
				{"ReluGrad(dy=NaN, y=1)", ReluGrad, nan, 1, 0xffc00000, false},
				{"ReluGrad(dy=1, y=+Inf)", ReluGrad, 1, float32(math.Inf(1)), 0x3f800000, false},
				{"ReluGrad(dy=-1, y=-0)", ReluGrad, -1, negZero, 0, false},
				{"ReluGrad(dy=-1, y=NaN)", ReluGrad, -1, nan, 0, false},
				{"ReluGrad(dy=-1, y=+NaN)", ReluGrad, -1, bitsFrom(0x7fc00000), 0, false},
				{"Add(-0, -0)", Add, negZero, negZero, 0x80000000, false},
				{"Add(-0, +0)", Add, negZero, 0, 0, false},
				{"Add(1, -1)", Add, 1, -1, 0, false},
				{"Add(+Inf, -Inf)", Add, float32(math.Inf(1)), float32(math.Inf(-1)), 0, true},
				{"AddRelu(-0, -0)", AddRelu, negZero, negZero, 0, false},
				{"AddRelu(1, -2)", AddRelu, 1, -2, 0, false},
				{"AddRelu(+Inf, -Inf)", AddRelu, float32(math.Inf(1)), float32(math.Inf(-1)), 0, true},
				{"AddRelu(subnormal, subnormal)", AddRelu, bitsFrom(1), bitsFrom(1), 2, false},
			} {
				x, y, dst := make([]float32, n), make([]float32, n), make([]float32, n)
				for i := range x {
					x[i], y[i] = c.x, c.y
				}
				c.f(dst, x, y)
				for i, v := range dst {
					if c.wantNaN && v != v || !c.wantNaN && math.Float32bits(v) == c.want {
						continue
					}
					t.Errorf("%s %s: dst[%d] = %#08x (%v)", im.name, c.name, i, math.Float32bits(v), v)
					break
				}
			}
		})
	}
}

// TestElementwise checks random inputs of every length, with NaNs, ±0,
// infinities and subnormals sprinkled in, against the definitions bit for
// bit and the implementations against each other.
func TestElementwise(t *testing.T) {
	for _, n := range lengths {
		r := rand.New(rand.NewPCG(uint64(n), 50))
		gen := func(r *rand.Rand) float32 {
			if r.IntN(8) == 0 {
				return specials[r.IntN(len(specials))]
			}
			return float32(r.NormFloat64())
		}
		x, y := fill(r, n, gen), fill(r, n, gen)
		for _, op := range elementwiseOps {
			var g []float32
			for _, im := range impls {
				dst := make([]float32, n)
				withImpl(im, func() { op.f(dst, x, y) })
				if im == generic {
					g = dst
					for i, v := range dst {
						if w := op.def(x[i], y[i]); !sameBits(v, w, x[i], y[i], op.nanPair) {
							t.Errorf("n=%d %s: dst[%d] = %v, want %v", n, op.name, i, v, w)
							break
						}
					}
				} else if i := elemDiff(op.nanPair, dst, g, x, y); i >= 0 {
					t.Errorf("n=%d %s %s: dst[%d] = %#08x, generic %#08x", n, op.name, im.name, i, math.Float32bits(dst[i]), math.Float32bits(g[i]))
				}
				// In place, dst the first input.
				in := append([]float32(nil), x...)
				withImpl(im, func() { op.f(in, in, y) })
				if i := elemDiff(op.nanPair, in, dst, x, y); i >= 0 {
					t.Errorf("n=%d %s %s in place: dst[%d] = %v, want %v", n, op.name, im.name, i, in[i], dst[i])
				}
			}
		}
	}
}
