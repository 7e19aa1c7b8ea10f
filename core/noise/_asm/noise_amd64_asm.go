// Command _asm generates ../noise_amd64.s with avo:
//
//	go run . -out ../noise_amd64.s
//
// It is its own module so that avo stays out of untied's dependencies.
//
// normalInvZMM is the loop of normalInv in ../inverse.go, sixteen values
// at a time: the same SplitMix64 words (the Weyl sequence's next eight
// values, each hashed by mix), each word's two 32-bit halves giving two
// values, by the same float32 operations in the same order as invValue,
// erfinv and logf (no fused multiply-adds), so the values are those of
// the Go loop bit for bit.
package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// SplitMix64's constants (fill.go): the Weyl increment and mix's two
// multipliers.
const (
	gamma = 0x9e3779b97f4a7c15
	mul1  = 0xbf58476d1ce4e5b9
	mul2  = 0x94d049bb133111eb
)

func main() {
	ConstraintExpr("!purego")
	normalInv()
	Generate()
}

// broadcast returns a zmm holding v in each 64-bit lane.
func broadcast(v uint64) VecVirtual {
	r, z := GP64(), ZMM()
	MOVQ(U64(v), r)
	VPBROADCASTQ(r, z)
	return z
}

// Giles's erfinv coefficients, highest degree first, as ../inverse.go
// has them (TestFastPathIsExact fails if the two differ).
var (
	erfinvCentral = [9]float32{2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
		0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941}
	erfinvTail = [9]float32{-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
		0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682}
)

// consts is a table of float32 constants the loop reads by embedded
// broadcast, emitted before the function: bcst(v) is v's operand.
type consts struct {
	mem  Mem
	vals []float32
}

func newConsts(name string, vals ...float32) *consts {
	c := &consts{mem: GLOBL(name, RODATA|NOPTR), vals: vals}
	for i, v := range vals {
		DATA(4*i, U32(math.Float32bits(v)))
	}
	return c
}

func (c *consts) bcst(v float32) Mem {
	for i, x := range c.vals {
		if math.Float32bits(x) == math.Float32bits(v) {
			return c.mem.Offset(4 * i)
		}
	}
	panic(fmt.Sprintf("constant %v not in the table", v))
}

// bits is the float32 of the given bits, for integer constants in the table.
func bits(v uint32) float32 { return math.Float32frombits(v) }

func normalInv() {
	// steps: lane l adds (l+1)·γ to the state, the Weyl sequence's next
	// eight values.
	steps := GLOBL("normalSteps", RODATA|NOPTR)
	for l := 0; l < 8; l++ {
		DATA(8*l, U64(uint64(l+1)*gamma))
	}
	c := newConsts("normalConsts", append(append([]float32{1, 0x1p-24, bits(1), bits(127), bits(1<<23 - 1),
		bits(0x3f800000), float32(math.Sqrt2), 0.5, 2, float32(1.0 / 9), float32(1.0 / 7), float32(1.0 / 5),
		float32(1.0 / 3), float32(math.Ln2), bits(1 << 31), 2.5, 5, 3}, erfinvCentral[:]...), erfinvTail[:]...)...)

	TEXT("normalInvZMM", NOSPLIT, "func(d []float32, x uint64, scale float32) int")
	Doc("normalInvZMM writes the values of normalInv to d, sixteen at a time, from the block's generator state x, while len(d) has sixteen left,",
		"and returns how many it wrote.")
	Pragma("noescape")
	dp := Load(Param("d").Base(), GP64())
	left := Load(Param("d").Len(), GP64())
	x := Load(Param("x"), GP64())
	sc := ZMM()
	VBROADCASTSS(Load(Param("scale"), XMM()), sc)

	xv := ZMM()
	VPBROADCASTQ(x, xv)
	VPADDQ(steps, xv, xv)
	var g uint64 = gamma
	step := broadcast(8 * g) // wraps, as the Weyl sequence does
	m1, m2 := broadcast(mul1), broadcast(mul2)
	one := ZMM()
	VBROADCASTSS(c.bcst(1), one)

	done := GP64() // values written
	XORQ(done, done)
	z, t, y, a, m, e, s, s2, q, p, pt := ZMM(), ZMM(), ZMM(), ZMM(), ZMM(), ZMM(), ZMM(), ZMM(), ZMM(), ZMM(), ZMM()
	big, tail := K(), K()

	Label("normal_loop")
	CMPQ(left, Imm(16))
	JB(LabelRef("normal_done"))
	// z = mix(x + (l+1)·γ) in each 64-bit lane: sixteen 32-bit halves h.
	VPSRLQ(Imm(30), xv, t)
	VPXORQ(xv, t, z)
	VPMULLQ(m1, z, z)
	VPSRLQ(Imm(27), z, t)
	VPXORQ(t, z, z)
	VPMULLQ(m2, z, z)
	VPSRLQ(Imm(31), z, t)
	VPXORQ(t, z, z)
	// y = (2j+1)·2⁻²⁴, j = int32(h) >> 8.
	VPSRAD(Imm(8), z, z)
	VPADDD(z, z, z)
	VPORD_BCST(c.bcst(bits(1)), z, z) // 2j is even: +1
	VCVTDQ2PS(z, y)
	VMULPS_BCST(c.bcst(0x1p-24), y, y)
	// t = (1−y)·(1+y).
	VSUBPS(y, one, a)
	VADDPS(y, one, t)
	VMULPS(a, t, t)
	// logf(t): e, m with t = m·2ᵉ, m in [1, 2), then [√½, √2).
	VPSRLD(Imm(23), t, e)
	VPSUBD_BCST(c.bcst(bits(127)), e, e)
	VCVTDQ2PS(e, e)
	VPANDD_BCST(c.bcst(bits(1<<23-1)), t, m)
	VPORD_BCST(c.bcst(bits(0x3f800000)), m, m)
	VCMPPS_BCST(Imm(0x1e), c.bcst(float32(math.Sqrt2)), m, big) // m > √2, ordered
	VMULPS_BCST(c.bcst(0.5), m, big, m)
	VADDPS(one, e, big, e)
	// s = (m−1)/(2+(m−1)), s2 = s², q = ⅓ + s2(⅕ + s2(⅐ + s2/9)).
	VSUBPS(one, m, m)
	VADDPS_BCST(c.bcst(2), m, a)
	VDIVPS(a, m, s)
	VMULPS(s, s, s2)
	VBROADCASTSS(c.bcst(float32(1.0/9)), q)
	for _, k := range []float64{7, 5, 3} {
		VMULPS(s2, q, q)
		VADDPS_BCST(c.bcst(float32(1/k)), q, q)
	}
	// w = −(e·ln 2 + (2s + 2s·s2·q)), in t.
	VADDPS(s, s, s)
	VMULPS(s2, s, s2)
	VMULPS(q, s2, s2)
	VADDPS(s2, s, s)
	VMULPS_BCST(c.bcst(float32(math.Ln2)), e, e)
	VADDPS(s, e, t)
	VXORPS_BCST(c.bcst(bits(1<<31)), t, t)
	// p = the central polynomial in w − 2.5; where w ≥ 5 (rare: skipped
	// when no lane has it), the tail one in √w − 3.
	VSUBPS_BCST(c.bcst(2.5), t, a)
	horner(c, erfinvCentral, a, p)
	VCMPPS_BCST(Imm(0x1d), c.bcst(5), t, tail) // w ≥ 5, ordered
	KORTESTW(tail, tail)
	JZ(LabelRef("normal_central"))
	VSQRTPS(t, a)
	VSUBPS_BCST(c.bcst(3), a, a)
	horner(c, erfinvTail, a, pt)
	VMOVAPS(pt, tail, p)
	Label("normal_central")
	// The value p·y·scale.
	VMULPS(y, p, p)
	VMULPS(sc, p, p)
	VMOVUPS(p, Mem{Base: dp, Index: done, Scale: 4})
	ADDQ(Imm(16), done)
	SUBQ(Imm(16), left)
	VPADDQ(step, xv, xv)
	JMP(LabelRef("normal_loop"))

	Label("normal_done")
	Store(done, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// horner sets p to the polynomial with coefficients co (highest degree
// first) at w, each product rounded before its sum.
func horner(c *consts, co [9]float32, w, p VecVirtual) {
	VBROADCASTSS(c.bcst(co[0]), p)
	for _, k := range co[1:] {
		VMULPS(w, p, p)
		VADDPS_BCST(c.bcst(k), p, p)
	}
}
