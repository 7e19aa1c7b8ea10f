// Command _asm generates ../noise_amd64.s with avo:
//
//	go run . -out ../noise_amd64.s
//
// It is its own module so that avo stays out of untied's dependencies.
//
// normalZMM is the fast path of splitMix.normal in ../fill.go, eight draws
// at a time: the same SplitMix64 words (the Weyl sequence's eight next
// values, each hashed by mix), the same layer and position bits, the same
// float32 conversion and product. It stops at the first draw that falls
// outside its layer's rectangle, which Go finishes, so the values are
// those of the Go loop bit for bit.
package main

import (
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
	normal()
	Generate()
}

// broadcast returns a zmm holding v in each 64-bit lane.
func broadcast(v uint64) VecVirtual {
	r, z := GP64(), ZMM()
	MOVQ(U64(v), r)
	VPBROADCASTQ(r, z)
	return z
}

func normal() {
	// steps: lane l adds (l+1)·γ to the state, the Weyl sequence's next
	// eight values.
	steps := GLOBL("normalSteps", RODATA|NOPTR)
	for l := 0; l < 8; l++ {
		DATA(8*l, U64(uint64(l+1)*gamma))
	}

	TEXT("normalZMM", NOSPLIT, "func(d []float32, x uint64, w *[256]float32, k *[256]uint32) int")
	Doc("normalZMM writes draws of splitMix.normal to d, eight at a time, from the generator state x, while len(d) has eight left,",
		"and returns how many it wrote: it stops before the first draw off the fast path (|j| ≥ k[layer]), which the caller finishes.")
	Pragma("noescape")
	dp := Load(Param("d").Base(), GP64())
	left := Load(Param("d").Len(), GP64())
	x := Load(Param("x"), GP64())
	wp := Load(Param("w"), GP64())
	kp := Load(Param("k"), GP64())

	xv := ZMM()
	VPBROADCASTQ(x, xv)
	VPADDQ(steps, xv, xv)
	var g uint64 = gamma
	step := broadcast(8 * g) // wraps, as the Weyl sequence does
	m1, m2, low8 := broadcast(mul1), broadcast(mul2), broadcast(0xff)

	done := GP64() // values written
	XORQ(done, done)
	z, t, idx := ZMM(), ZMM(), ZMM()
	j, a, kv, wv, f := YMM(), YMM(), YMM(), YMM(), YMM()
	kg, wg, fast, part := K(), K(), K(), K()
	bits, s := GP32(), GP64()

	Label("normal_loop")
	CMPQ(left, Imm(8))
	JB(LabelRef("normal_done"))
	// z = mix(x + (l+1)·γ) in each lane.
	VPSRLQ(Imm(30), xv, t)
	VPXORQ(xv, t, z)
	VPMULLQ(m1, z, z)
	VPSRLQ(Imm(27), z, t)
	VPXORQ(t, z, z)
	VPMULLQ(m2, z, z)
	VPSRLQ(Imm(31), z, t)
	VPXORQ(t, z, z)
	// j = int32(u >> 32), the layer u mod 256.
	VPSRLQ(Imm(32), z, t)
	VPMOVQD(t, j)
	VPANDQ(low8, z, idx)
	KXNORW(kg, kg, kg)
	VPGATHERQD(Mem{Base: kp, Index: idx, Scale: 4}, kg, kv)
	KXNORW(wg, wg, wg)
	VGATHERQPS(Mem{Base: wp, Index: idx, Scale: 4}, wg, wv)
	// Fast where |j| < k[layer], unsigned (|−2³¹| is 2³¹).
	VPABSD(j, a)
	VPCMPUD(Imm(1), kv, a, fast)
	VCVTDQ2PS(j, f)
	VMULPS(wv, f, f)
	KMOVB(fast, bits)
	CMPL(bits, Imm(0xff))
	JNE(LabelRef("normal_slow"))
	VMOVUPS(f, Mem{Base: dp, Index: done, Scale: 4})
	ADDQ(Imm(8), done)
	SUBQ(Imm(8), left)
	VPADDQ(step, xv, xv)
	JMP(LabelRef("normal_loop"))

	// A draw off the fast path in lane s, the lowest clear bit of bits:
	// bits+1 has it as its lowest set bit; store the lanes below it.
	Label("normal_slow")
	INCL(bits)
	BSFL(bits, s.As32())
	m := GP32()
	MOVL(bits, m)
	NEGL(m)
	ANDL(bits, m) // 1 << s
	DECL(m)
	KMOVB(m, part)
	VMOVUPS(f, part, Mem{Base: dp, Index: done, Scale: 4})
	ADDQ(s, done)

	Label("normal_done")
	Store(done, ReturnIndex(0))
	VZEROUPPER()
	RET()
}
