// Command _asm generates ../vec_amd64.s with avo:
//
//	go run . -out ../vec_amd64.s
//
// It is its own module so that avo stays out of untied's dependencies.
//
// Every function here is the generic Go loop of the same name in
// ../generic.go, operation for operation: the same float32 and float64
// roundings, no FMA, and for the sums the same sixteen float64 lanes
// reduced in the same order, so the two give the same bits.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

const (
	f32      = 4  // bytes per float32
	lanes    = 8  // float32 per ymm
	sumBlock = 16 // elements per step of the sums: four ymm of four float64
)

func main() {
	ConstraintExpr("!purego")
	shiftedSums()
	dotHat()
	normalize()
	normGrad()
	normalizePlanes()
	normGradPlanes()
	normalizeAddReluPlanes()
	relu()
	reluGrad()
	add()
	addRelu()
	sumSq()
	scaleSumSq()
	dots()
	axpbyDots()
	padRows()
	gather16()
	deal2()
	addStride2()
	maxPool3s2()
	Generate()
}

// param returns the address of a scalar parameter or result, for VEX
// loads and stores (avo's Load and Store emit legacy SSE moves, which cost
// a state transition next to dirty upper ymm halves).
func param(c gotypes.Component) Mem {
	b, err := c.Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// zeroed returns n ymm registers set to zero.
func zeroed(n int) []VecVirtual {
	r := make([]VecVirtual, n)
	for i := range r {
		r[i] = YMM()
		VXORPD(r[i], r[i], r[i])
	}
	return r
}

// reduce adds sixteen float64 lanes, l[4j+i] in lane i of acc[j], into the
// low float64 of acc[0] as (t0 + t2) + (t1 + t3) with
// ti = (l[i] + l[4+i]) + (l[8+i] + l[12+i]): reduce in ../generic.go.
func reduce(acc []VecVirtual) Register {
	VADDPD(acc[1], acc[0], acc[0])
	VADDPD(acc[3], acc[2], acc[2])
	VADDPD(acc[2], acc[0], acc[0])
	hi := XMM()
	VEXTRACTF128(Imm(1), acc[0], hi)
	lo := acc[0].AsX()
	VADDPD(hi, lo, lo)
	VUNPCKHPD(lo, lo, hi)
	VADDSD(hi, lo, lo)
	return lo
}

// loop emits a loop over byte offsets idx = 0, step, 2·step, ... < end,
// with body(idx) for each.
func loop(name string, idx, end Register, step int, body func()) {
	top, done := name+"_loop", name+"_done"
	XORQ(idx, idx)
	Label(top)
	CMPQ(idx, end)
	JAE(LabelRef(done))
	body()
	ADDQ(U32(step), idx)
	JMP(LabelRef(top))
	Label(done)
}

// scaled loads the int parameter name, a count of float32s, as bytes.
func scaled(name string) Register {
	r := Load(Param(name), GP64())
	SHLQ(Imm(2), r)
	return r
}

// mask loads the uint16 parameter name into a mask register.
func mask(name string) Register {
	k := K()
	KMOVW(param(Param(name)), k)
	return k
}

// rowLoop emits a loop that runs body n times, n counting down, and after
// each run adds every step's stride (bytes) to its pointer: step[0] +=
// step[1].
func rowLoop(name string, n Register, body func(), steps ...[2]Register) {
	top, done := name+"_loop", name+"_done"
	Label(top)
	TESTQ(n, n)
	JZ(LabelRef(done))
	body()
	for _, st := range steps {
		ADDQ(st[1], st[0])
	}
	DECQ(n)
	JMP(LabelRef(top))
	Label(done)
}

// shiftedSums emits shiftedSumsAVX2, shiftedSumsGeneric: per 16 elements,
// four VCVTPS2PD, and for each four float64 d = x − k added to one
// accumulator of Σd and d·d (a product, then an add) to one of Σd².
// The eight accumulators are eight independent chains of additions.
func shiftedSums() {
	TEXT("shiftedSumsAVX2", NOSPLIT, "func(x []float32, k float64) (s, ss float64)")
	Doc("shiftedSumsAVX2 is shiftedSumsGeneric with AVX2: len(x) must be a multiple of 16.")
	Pragma("noescape")
	xp := Load(Param("x").Base(), GP64())
	end := Load(Param("x").Len(), GP64())
	SHLQ(Imm(2), end) // bytes
	k := YMM()
	VBROADCASTSD(param(Param("k")), k)
	s, q := zeroed(4), zeroed(4)
	idx := GP64()
	loop("shiftedSums", idx, end, sumBlock*f32, func() {
		for j := 0; j < 4; j++ {
			d := YMM()
			VCVTPS2PD(Mem{Base: xp, Index: idx, Scale: 1, Disp: 16 * j}, d)
			VSUBPD(k, d, d)
			VADDPD(d, s[j], s[j])
			VMULPD(d, d, d)
			VADDPD(d, q[j], q[j])
		}
	})
	rs, rq := reduce(s), reduce(q)
	VMOVSD(rs, param(ReturnIndex(0)))
	VMOVSD(rq, param(ReturnIndex(1)))
	VZEROUPPER()
	RET()
}

// dotHat emits dotHatAVX2, dotHatGeneric: per 16 elements, x̂ = (x − mu)·is
// on two ymm of float32, widened to four ymm of float64, and dy widened by
// VCVTPS2PD from memory; for each four, dy added to an accumulator of Σdy
// and dy·x̂ (a product, then an add) to one of Σdy·x̂.
func dotHat() {
	TEXT("dotHatAVX2", NOSPLIT, "func(dy, x []float32, mu, is float32) (sdy, sdyx float64)")
	Doc("dotHatAVX2 is dotHatGeneric with AVX2: len(dy) must be a multiple of 16, len(x) at least len(dy).")
	Pragma("noescape")
	dyp := Load(Param("dy").Base(), GP64())
	xp := Load(Param("x").Base(), GP64())
	end := Load(Param("dy").Len(), GP64())
	SHLQ(Imm(2), end)
	mu, is := YMM(), YMM()
	VBROADCASTSS(param(Param("mu")), mu)
	VBROADCASTSS(param(Param("is")), is)
	s, p := zeroed(4), zeroed(4)
	idx := GP64()
	loop("dotHat", idx, end, sumBlock*f32, func() {
		for h := 0; h < 2; h++ {
			xh := YMM()
			VMOVUPS(Mem{Base: xp, Index: idx, Scale: 1, Disp: 32 * h}, xh)
			VSUBPS(mu, xh, xh)
			VMULPS(is, xh, xh)
			hi := XMM()
			VEXTRACTF128(Imm(1), xh, hi)
			wide := []VecVirtual{YMM(), YMM()}
			VCVTPS2PD(xh.AsX(), wide[0])
			VCVTPS2PD(hi, wide[1])
			for i, w := range wide {
				j := 2*h + i
				a := YMM()
				VCVTPS2PD(Mem{Base: dyp, Index: idx, Scale: 1, Disp: 16 * j}, a)
				VADDPD(a, s[j], s[j])
				VMULPD(w, a, a)
				VADDPD(a, p[j], p[j])
			}
		}
	})
	rs, rp := reduce(s), reduce(p)
	VMOVSD(rs, param(ReturnIndex(0)))
	VMOVSD(rp, param(ReturnIndex(1)))
	VZEROUPPER()
	RET()
}

// elementwise emits the loop of an elementwise function over len(dst)
// float32 (a multiple of 8), two ymm per iteration and then one: body
// computes eight results at byte offset disp from idx into the returned
// register.
func elementwise(name string, dst, n Register, body func(idx Register, disp int) VecVirtual) {
	SHLQ(Imm(2), n) // bytes
	idx := GP64()
	XORQ(idx, idx)
	end := GP64()
	MOVQ(n, end)
	SUBQ(Imm(32), end) // the last offset from which two vectors fit
	top, tail, done := name+"_loop", name+"_tail", name+"_done"
	Comment("Two vectors per iteration.")
	Label(top)
	CMPQ(idx, end)
	JGE(LabelRef(tail))
	for u := 0; u < 2; u++ {
		r := body(idx, 32*u)
		VMOVUPS(r, Mem{Base: dst, Index: idx, Scale: 1, Disp: 32 * u})
	}
	ADDQ(Imm(64), idx)
	JMP(LabelRef(top))
	Comment("At most one vector left.")
	Label(tail)
	CMPQ(idx, n)
	JGE(LabelRef(done))
	r := body(idx, 0)
	VMOVUPS(r, Mem{Base: dst, Index: idx, Scale: 1})
	Label(done)
	VZEROUPPER()
	RET()
}

// broadcast loads float32 parameters into ymm registers, one each.
func broadcast(names ...string) []VecVirtual {
	r := make([]VecVirtual, len(names))
	for i, n := range names {
		r[i] = YMM()
		VBROADCASTSS(param(Param(n)), r[i])
	}
	return r
}

// normalize emits normalizeAVX2, normalizeGeneric: per eight elements
// x̂ = (x − mu)·is, then γ·x̂ (a product) + β. (The parameters are not
// named g and b: the assembler reads b+60(FP) as a register.)
func normalize() {
	TEXT("normalizeAVX2", NOSPLIT, "func(dst, x []float32, mu, is, gamma, beta float32)")
	Doc(fmt.Sprintf("normalizeAVX2 is normalizeGeneric with AVX2: len(dst) must be a multiple of %d, len(x) at least len(dst).", lanes))
	Pragma("noescape")
	dst := Load(Param("dst").Base(), GP64())
	xp := Load(Param("x").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	c := broadcast("mu", "is", "gamma", "beta")
	mu, is, g, b := c[0], c[1], c[2], c[3]
	elementwise("normalize", dst, n, func(idx Register, disp int) VecVirtual {
		t := YMM()
		VMOVUPS(Mem{Base: xp, Index: idx, Scale: 1, Disp: disp}, t)
		VSUBPS(mu, t, t)
		VMULPS(is, t, t)
		VMULPS(g, t, t)
		VADDPS(b, t, t)
		return t
	})
}

// normGrad emits normGradAVX2, normGradGeneric: per eight elements
// x̂ = (x − mu)·is, then scale·((dy − mdy) − x̂·mdyx), each operation
// rounded.
func normGrad() {
	TEXT("normGradAVX2", NOSPLIT, "func(dst, dy, x []float32, mu, is, scale, mdy, mdyx float32)")
	Doc(fmt.Sprintf("normGradAVX2 is normGradGeneric with AVX2: len(dst) must be a multiple of %d, len(dy) and len(x) at least len(dst).", lanes))
	Pragma("noescape")
	dst := Load(Param("dst").Base(), GP64())
	dyp := Load(Param("dy").Base(), GP64())
	xp := Load(Param("x").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	c := broadcast("mu", "is", "scale", "mdy", "mdyx")
	mu, is, scale, mdy, mdyx := c[0], c[1], c[2], c[3], c[4]
	elementwise("normGrad", dst, n, func(idx Register, disp int) VecVirtual {
		h, t := YMM(), YMM()
		VMOVUPS(Mem{Base: xp, Index: idx, Scale: 1, Disp: disp}, h)
		VSUBPS(mu, h, h)
		VMULPS(is, h, h)
		VMULPS(mdyx, h, h)
		VMOVUPS(Mem{Base: dyp, Index: idx, Scale: 1, Disp: disp}, t)
		VSUBPS(mdy, t, t)
		VSUBPS(h, t, t)
		VMULPS(scale, t, t)
		return t
	})
}

// Two of the elementwise functions need constants in registers: zero,
// and the mask of a float32's magnitude bits.

func zero() VecVirtual {
	z := YMM()
	VXORPS(z, z, z)
	return z
}

func absMask() VecVirtual {
	m := YMM()
	VPCMPEQD(m, m, m)
	VPSRLD(Imm(1), m, m) // 0x7fffffff
	return m
}

// maxZero sets t = max(v, 0) as Go's max computes it on amd64, which is
// −min(−v, −0) with MINSS: v where v > 0, +0 for zeros and negatives, and
// for a NaN its bits with the sign cleared (MINSS returns its second
// operand when one is a NaN, unquieted). VMAXPS(v, 0, t) gives 0 > v ? 0 :
// v, which is v for a NaN, −0 or +0 and 0 for negatives; clearing the sign
// then makes −0 +0 and the NaN's sign what Go's max leaves. z holds zeros
// and abs absMask.
func maxZero(v Op, z, abs, t VecVirtual) {
	VMAXPS(v, z, t)
	VANDPS(abs, t, t)
}

// relu emits reluAVX2, reluGeneric: dst = max(x, 0), by maxZero.
func relu() {
	TEXT("reluAVX2", NOSPLIT, "func(dst, x []float32)")
	Doc(fmt.Sprintf("reluAVX2 is reluGeneric with AVX2: len(dst) must be a multiple of %d, len(x) at least len(dst).", lanes))
	Pragma("noescape")
	dst := Load(Param("dst").Base(), GP64())
	xp := Load(Param("x").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	z, abs := zero(), absMask()
	elementwise("relu", dst, n, func(idx Register, disp int) VecVirtual {
		t := YMM()
		maxZero(Mem{Base: xp, Index: idx, Scale: 1, Disp: disp}, z, abs, t)
		return t
	})
}

// reluGrad emits reluGradAVX2, reluGradGeneric: dst = dy where y > 0, else
// +0, dy's bits under a mask. The mask is the ordered, quiet comparison
// 0 < y, true exactly where the generic loop's bit test is (positive
// subnormals and +Inf in, zeros, negatives and NaNs out).
func reluGrad() {
	TEXT("reluGradAVX2", NOSPLIT, "func(dst, dy, y []float32)")
	Doc(fmt.Sprintf("reluGradAVX2 is reluGradGeneric with AVX2: len(dst) must be a multiple of %d, len(dy) and len(y) at least len(dst).", lanes))
	Pragma("noescape")
	dst := Load(Param("dst").Base(), GP64())
	dyp := Load(Param("dy").Base(), GP64())
	yp := Load(Param("y").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	z := zero()
	elementwise("reluGrad", dst, n, func(idx Register, disp int) VecVirtual {
		m := YMM()
		VCMPPS(Imm(0x11), Mem{Base: yp, Index: idx, Scale: 1, Disp: disp}, z, m) // LT_OQ: 0 < y
		VANDPS(Mem{Base: dyp, Index: idx, Scale: 1, Disp: disp}, m, m)
		return m
	})
}

// add emits addAVX2, addGeneric: dst = a + b, a the first operand, whose
// NaN a sum of two NaNs keeps. (Go's a + b leaves that order to register
// allocation: the only bits in which the two may differ.)
func add() {
	TEXT("addAVX2", NOSPLIT, "func(dst, a, b []float32)")
	Doc(fmt.Sprintf("addAVX2 is addGeneric with AVX2: len(dst) must be a multiple of %d, len(a) and len(b) at least len(dst).", lanes))
	Pragma("noescape")
	dst := Load(Param("dst").Base(), GP64())
	ap := Load(Param("a").Base(), GP64())
	bp := Load(Param("b").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	elementwise("add", dst, n, func(idx Register, disp int) VecVirtual {
		t := YMM()
		VMOVUPS(Mem{Base: ap, Index: idx, Scale: 1, Disp: disp}, t)
		VADDPS(Mem{Base: bp, Index: idx, Scale: 1, Disp: disp}, t, t)
		return t
	})
}

// addRelu emits addReluAVX2, addReluGeneric: dst = max(a + b, 0), the sum
// as add computes it, then maxZero.
func addRelu() {
	TEXT("addReluAVX2", NOSPLIT, "func(dst, a, b []float32)")
	Doc(fmt.Sprintf("addReluAVX2 is addReluGeneric with AVX2: len(dst) must be a multiple of %d, len(a) and len(b) at least len(dst).", lanes))
	Pragma("noescape")
	dst := Load(Param("dst").Base(), GP64())
	ap := Load(Param("a").Base(), GP64())
	bp := Load(Param("b").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	z, abs := zero(), absMask()
	elementwise("addRelu", dst, n, func(idx Register, disp int) VecVirtual {
		t := YMM()
		VMOVUPS(Mem{Base: ap, Index: idx, Scale: 1, Disp: disp}, t)
		VADDPS(Mem{Base: bp, Index: idx, Scale: 1, Disp: disp}, t, t)
		maxZero(t, z, abs, t)
		return t
	})
}

// The sums of squares and products of the alignment rules' pass: per 16
// elements, each input widened to four ymm of float64 by VCVTPS2PD from
// memory, and for each four the products (exact in float64) added to one
// accumulator per sum, sixteen lanes a sum as in shiftedSums. The forms
// that also write dst compute it after the block's sums have read it, from
// the float32 inputs, a product in float32 (and a sum of two) rounded as
// Go rounds it, so that dst may be an input.

// sumSq emits sumSqAVX2, sumSqGeneric: Σx².
func sumSq() {
	TEXT("sumSqAVX2", NOSPLIT, "func(x []float32) float64")
	Doc("sumSqAVX2 is sumSqGeneric with AVX2: len(x) must be a multiple of 16.")
	Pragma("noescape")
	xp := Load(Param("x").Base(), GP64())
	end := Load(Param("x").Len(), GP64())
	SHLQ(Imm(2), end)
	q := zeroed(4)
	idx := GP64()
	loop("sumSq", idx, end, sumBlock*f32, func() {
		squares(xp, idx, q)
	})
	VMOVSD(reduce(q), param(ReturnIndex(0)))
	VZEROUPPER()
	RET()
}

// squares adds the squares of the 16 float32 at base+idx to acc, four to
// each register.
func squares(base, idx Register, acc []VecVirtual) {
	for j := 0; j < 4; j++ {
		x := YMM()
		VCVTPS2PD(Mem{Base: base, Index: idx, Scale: 1, Disp: 16 * j}, x)
		VMULPD(x, x, x)
		VADDPD(x, acc[j], acc[j])
	}
}

// scaleSumSq emits scaleSumSqAVX2, scaleSumSqGeneric: Σx² and dst = a·x.
func scaleSumSq() {
	TEXT("scaleSumSqAVX2", NOSPLIT, "func(dst, x []float32, a float32) float64")
	Doc("scaleSumSqAVX2 is scaleSumSqGeneric with AVX2: len(dst) must be a multiple of 16, len(x) at least len(dst).")
	Pragma("noescape")
	dst := Load(Param("dst").Base(), GP64())
	xp := Load(Param("x").Base(), GP64())
	end := Load(Param("dst").Len(), GP64())
	SHLQ(Imm(2), end)
	a := broadcast("a")[0]
	q := zeroed(4)
	idx := GP64()
	loop("scaleSumSq", idx, end, sumBlock*f32, func() {
		squares(xp, idx, q)
		for h := 0; h < 2; h++ {
			t := YMM()
			VMULPS(Mem{Base: xp, Index: idx, Scale: 1, Disp: 32 * h}, a, t)
			VMOVUPS(t, Mem{Base: dst, Index: idx, Scale: 1, Disp: 32 * h})
		}
	})
	VMOVSD(reduce(q), param(ReturnIndex(0)))
	VZEROUPPER()
	RET()
}

// products adds the products of the 16 float32 at u+idx and v+idx to the
// accumulators of Σu², Σu·v and Σv². It holds two registers beside the
// twelve accumulators, so that axpbyDots keeps a and b in the other two:
// v is widened twice rather than kept.
func products(u, v, idx Register, uu, uv, vv []VecVirtual) {
	for j := 0; j < 4; j++ {
		mu := Mem{Base: u, Index: idx, Scale: 1, Disp: 16 * j}
		mv := Mem{Base: v, Index: idx, Scale: 1, Disp: 16 * j}
		x, y := YMM(), YMM()
		VCVTPS2PD(mu, x)
		VCVTPS2PD(mv, y)
		VMULPD(y, x, y)
		VADDPD(y, uv[j], uv[j])
		VMULPD(x, x, x)
		VADDPD(x, uu[j], uu[j])
		VCVTPS2PD(mv, y)
		VMULPD(y, y, y)
		VADDPD(y, vv[j], vv[j])
	}
}

// storeSums reduces the three sums into the results 0, 1 and 2.
func storeSums(uu, uv, vv []VecVirtual) {
	for i, acc := range [][]VecVirtual{uu, uv, vv} {
		VMOVSD(reduce(acc), param(ReturnIndex(i)))
	}
}

// dots emits dotsAVX2, dotsGeneric: Σu², Σu·v, Σv².
func dots() {
	TEXT("dotsAVX2", NOSPLIT, "func(u, v []float32) (uu, uv, vv float64)")
	Doc("dotsAVX2 is dotsGeneric with AVX2: len(u) must be a multiple of 16, len(v) at least len(u).")
	Pragma("noescape")
	up := Load(Param("u").Base(), GP64())
	vp := Load(Param("v").Base(), GP64())
	end := Load(Param("u").Len(), GP64())
	SHLQ(Imm(2), end)
	uu, uv, vv := zeroed(4), zeroed(4), zeroed(4)
	idx := GP64()
	loop("dots", idx, end, sumBlock*f32, func() {
		products(up, vp, idx, uu, uv, vv)
	})
	storeSums(uu, uv, vv)
	VZEROUPPER()
	RET()
}

// axpbyDots emits axpbyDotsAVX2, axpbyDotsGeneric: the sums of dots and
// dst = a·u + b·v, the products and their sum each rounded to float32.
// The sixteen ymm registers are all in use: twelve accumulators, a, b and
// two for products's (or dst's) temporaries.
func axpbyDots() {
	TEXT("axpbyDotsAVX2", NOSPLIT, "func(dst, u, v []float32, a, b float32) (uu, uv, vv float64)")
	Doc("axpbyDotsAVX2 is axpbyDotsGeneric with AVX2: len(dst) must be a multiple of 16, len(u) and len(v) at least len(dst).")
	Pragma("noescape")
	dst := Load(Param("dst").Base(), GP64())
	up := Load(Param("u").Base(), GP64())
	vp := Load(Param("v").Base(), GP64())
	end := Load(Param("dst").Len(), GP64())
	SHLQ(Imm(2), end)
	c := broadcast("a", "b")
	a, b := c[0], c[1]
	uu, uv, vv := zeroed(4), zeroed(4), zeroed(4)
	idx := GP64()
	loop("axpbyDots", idx, end, sumBlock*f32, func() {
		products(up, vp, idx, uu, uv, vv)
		for h := 0; h < 2; h++ {
			s, t := YMM(), YMM()
			VMULPS(Mem{Base: up, Index: idx, Scale: 1, Disp: 32 * h}, a, s)
			VMULPS(Mem{Base: vp, Index: idx, Scale: 1, Disp: 32 * h}, b, t)
			VADDPS(t, s, s)
			VMOVUPS(s, Mem{Base: dst, Index: idx, Scale: 1, Disp: 32 * h})
		}
	})
	storeSums(uu, uv, vv)
	VZEROUPPER()
	RET()
}

// padRows emits padRowsZMM, the AVX-512 loop of padRowsGeneric: each row
// of dst in pieces of 16 values, piece c loaded from the source run
// shifted back by lead under mask masks[2c] (its lanes in [lead,
// lead+width), the others zero) and stored under masks[2c+1] (its lanes
// before ds). Masked lanes are neither read nor written, so a piece may
// begin before the run or end past either row.
func padRows() {
	TEXT("padRowsZMM", NOSPLIT, "func(dst []float32, ds int, src []float32, ss, rows, lead int, masks []uint16)")
	Doc("padRowsZMM is padRowsGeneric with AVX-512 for rows of at most 16·len(masks)/2 values; the caller checks the bounds and builds the masks (padRowsAVX512).")
	Pragma("noescape")
	dp := Load(Param("dst").Base(), GP64())
	sp := Load(Param("src").Base(), GP64())
	ds, ss, lead := scaled("ds"), scaled("ss"), scaled("lead")
	rows := Load(Param("rows"), GP64())
	mp := Load(Param("masks").Base(), GP64())
	end := Load(Param("masks").Len(), GP64()) // 2 masks of 2 bytes a piece
	SUBQ(lead, sp)                            // where lane 0 of piece 0 would read
	SHLQ(Imm(1), end)
	c, off := GP64(), GP64()
	load, store := K(), K()
	v := ZMM()
	rowLoop("padRows", rows, func() {
		XORQ(off, off)
		loop("padRows_piece", c, end, 4, func() {
			KMOVW(Mem{Base: mp, Index: c, Scale: 1}, load)
			KMOVW(Mem{Base: mp, Index: c, Scale: 1, Disp: 2}, store)
			VMOVUPS_Z(Mem{Base: sp, Index: off, Scale: 1}, load, v)
			VMOVUPS(v, store, Mem{Base: dp, Index: off, Scale: 1})
			ADDQ(Imm(64), off)
		})
	}, [2]Register{dp, ds}, [2]Register{sp, ss})
	VZEROUPPER()
	RET()
}

// evenOdd returns the tables of the first sixteen even and odd indices,
// for the two-table permutes that split a row by column parity (deal2,
// maxPool3s2), declared once.
func evenOdd() (Mem, Mem) {
	if evenIdx == nil {
		e, o := indices("evenIdx", func(l int) int { return 2 * l }), indices("oddIdx", func(l int) int { return 2*l + 1 })
		evenIdx, oddIdx = &e, &o
	}
	return *evenIdx, *oddIdx
}

var evenIdx, oddIdx *Mem

// indices returns a read-only table of sixteen int32, for permutes.
func indices(name string, f func(l int) int) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	for l := 0; l < 16; l++ {
		DATA(4*l, U32(uint32(f(l))))
	}
	return m
}

// deal2 emits deal2ZMM, the AVX-512 loop of deal2Generic for rows of up to
// 32 values: a row's halves loaded under lo and hi, its even values
// gathered by one two-table permute and stored under se, its odd ones by
// another and stored under so.
func deal2() {
	evens, odds := evenOdd()
	TEXT("deal2ZMM", NOSPLIT, "func(even, odd []float32, ds int, src []float32, ss, rows int, lo, hi, se, so uint16)")
	Doc("deal2ZMM is deal2Generic with AVX-512 for rows of at most 32 values; the caller checks the bounds and builds the masks (deal2AVX512).")
	Pragma("noescape")
	ep := Load(Param("even").Base(), GP64())
	op := Load(Param("odd").Base(), GP64())
	sp := Load(Param("src").Base(), GP64())
	ds, ss := scaled("ds"), scaled("ss")
	rows := Load(Param("rows"), GP64())
	klo, khi, kse, kso := mask("lo"), mask("hi"), mask("se"), mask("so")
	ie, io := ZMM(), ZMM()
	VMOVDQU32(evens, ie)
	VMOVDQU32(odds, io)
	z0, z1, e, o := ZMM(), ZMM(), ZMM(), ZMM()
	rowLoop("deal2", rows, func() {
		VMOVUPS_Z(Mem{Base: sp}, klo, z0)
		VMOVUPS_Z(Mem{Base: sp, Disp: 64}, khi, z1)
		VMOVAPS(z0, e)
		VPERMT2PS(z1, ie, e)
		VMOVAPS(z0, o)
		VPERMT2PS(z1, io, o)
		VMOVUPS(e, kse, Mem{Base: ep})
		VMOVUPS(o, kso, Mem{Base: op})
	}, [2]Register{ep, ds}, [2]Register{op, ds}, [2]Register{sp, ss})
	VZEROUPPER()
	RET()
}

// addStride2 emits addStride2ZMM, the AVX-512 loop of addStride2Generic
// for runs of up to 16: a run loaded under load, its values spread to even
// lanes by two permutes (run value j to lane 2j of the two 16-value pieces
// of dst's row), and added to those lanes alone under m0 and m1, so each
// value of dst gets one float32 addition, as in the loop.
func addStride2() {
	lows := indices("addStride2Lo", func(l int) int { return l / 2 })
	highs := indices("addStride2Hi", func(l int) int { return 8 + l/2 })
	TEXT("addStride2ZMM", NOSPLIT, "func(dst []float32, ds int, src []float32, ss, rows int, load, m0, m1 uint16)")
	Doc("addStride2ZMM is addStride2Generic with AVX-512 for runs of at most 16; the caller checks the bounds and builds the masks (addStride2AVX512).")
	Pragma("noescape")
	dp := Load(Param("dst").Base(), GP64())
	sp := Load(Param("src").Base(), GP64())
	ds, ss := scaled("ds"), scaled("ss")
	rows := Load(Param("rows"), GP64())
	kl, k0, k1 := mask("load"), mask("m0"), mask("m1")
	il, ih := ZMM(), ZMM()
	VMOVDQU32(lows, il)
	VMOVDQU32(highs, ih)
	v, e, d := ZMM(), ZMM(), ZMM()
	rowLoop("addStride2", rows, func() {
		VMOVUPS_Z(Mem{Base: sp}, kl, v)
		for half, k := range []Register{k0, k1} {
			idx := il
			if half == 1 {
				idx = ih
			}
			at := Mem{Base: dp, Disp: 64 * half}
			VPERMPS(v, idx, e)
			VMOVUPS_Z(at, k, d)
			VADDPS(e, d, k, d)
			VMOVUPS(d, k, at)
		}
	}, [2]Register{dp, ds}, [2]Register{sp, ss})
	VZEROUPPER()
	RET()
}

// gather16 emits the AVX-512 loops of gather16Generic, both per plane
// reading the lanes in valid through idx (the others zero) and storing them
// under store (p lanes): shuffle16ZMM for planes of up to 16 values, loaded
// under load and permuted; gather16ZMM for larger ones, gathered.
func gather16() {
	for _, permute := range []bool{true, false} {
		name := "gather16"
		if permute {
			name = "shuffle16"
		}
		TEXT(name+"ZMM", NOSPLIT, "func(dst []float32, p int, src []float32, stride, n int, idx *[16]int32, load, valid, store uint16)")
		Doc(name + "ZMM is gather16Generic with AVX-512; the caller checks the bounds and builds the masks (gather16AVX512).")
		Pragma("noescape")
		dp := Load(Param("dst").Base(), GP64())
		sp := Load(Param("src").Base(), GP64())
		p, stride := scaled("p"), scaled("stride")
		n := Load(Param("n"), GP64())
		ip := Load(Param("idx"), GP64())
		vm := Load(Param("valid"), GP32())
		lm, sm, km := mask("load"), mask("store"), K()
		KMOVW(vm, km)
		idx, v := ZMM(), ZMM()
		VMOVDQU32(Mem{Base: ip}, idx)
		rowLoop(name, n, func() {
			if permute {
				VMOVUPS_Z(Mem{Base: sp}, lm, v)
				VPERMPS_Z(v, idx, km, v)
			} else {
				VPXORD(v, v, v)
				KMOVW(vm, km) // the gather clears its mask
				VGATHERDPS(Mem{Base: sp, Index: idx, Scale: 4}, km, v)
			}
			VMOVUPS(v, sm, Mem{Base: dp})
		}, [2]Register{dp, p}, [2]Register{sp, stride})
		VZEROUPPER()
		RET()
	}
}

// maxPool3s2 emits maxPool3s2ZMM, the AVX-512 loop of maxPool3s2Generic
// for steps of sixteen windows. Per row of the windows: two loads split
// into the even and odd values by two-table permutes (the windows' first
// and second columns), two more from two values on (the third column, its
// last piece loaded under a mask so as not to read past the last window);
// per tap the values' order keys (OrderKey: b ^ (m & 0x7fffffff) − m, m =
// b >> 31), compared with the best so far and kept under the mask where
// greater, with the values and their indices: the taps in row-major
// order, so the first of equal maxima wins, as in the Go loop.
func maxPool3s2() {
	evens, odds := evenOdd()
	TEXT("maxPool3s2ZMM", NOSPLIT, "func(dst []float32, arg []int32, src []float32, w, at, steps int)")
	Doc("maxPool3s2ZMM is maxPool3s2Generic with AVX-512 for steps·16 windows; the caller checks the bounds (MaxPool3s2).")
	Pragma("noescape")
	dp := Load(Param("dst").Base(), GP64())
	ap := Load(Param("arg").Base(), GP64())
	sp := Load(Param("src").Base(), GP64())
	wq, at := GP64(), GP64()
	Load(Param("w"), wq)
	Load(Param("at"), at)
	steps := Load(Param("steps"), GP64())
	// sp at window 0's top-left; w in bytes for the row steps.
	LEAQ(Mem{Base: sp, Index: at, Scale: 4}, sp)
	wb := GP64()
	MOVQ(wq, wb)
	SHLQ(Imm(2), wb)
	ie, io := ZMM(), ZMM()
	VMOVDQU32(evens, ie)
	VMOVDQU32(odds, io)
	// lanes: the index of each window's top-left, 2·l + at, moving 32 a step.
	lanes := ZMM()
	VMOVDQU32(evens, lanes)
	t32 := GP32()
	MOVL(at.As32(), t32)
	bat := ZMM()
	VPBROADCASTD(t32, bat)
	VPADDD(bat, lanes, lanes)
	MOVL(U32(32), t32)
	step32 := ZMM()
	VPBROADCASTD(t32, step32)
	MOVL(U32(1), t32)
	one := ZMM()
	VPBROADCASTD(t32, one)
	MOVL(wq.As32(), t32)
	wrow := ZMM()
	VPBROADCASTD(t32, wrow)
	MOVL(U32(0x7fffffff), t32)
	magn := ZMM()
	VPBROADCASTD(t32, magn)
	last := K()
	MOVL(U32(0x7fff), t32)
	KMOVW(t32, last)

	a, b, v, key, m, idx, rowIdx := ZMM(), ZMM(), ZMM(), ZMM(), ZMM(), ZMM(), ZMM()
	top, val, win := ZMM(), ZMM(), ZMM()
	more := K()
	row := GP64()
	rowLoop("maxPool3s2", steps, func() {
		MOVQ(sp, row)
		VMOVDQA32(lanes, rowIdx)
		for r := 0; r < 3; r++ {
			for c := 0; c < 3; c++ {
				// The tap's sixteen values: columns c of the windows.
				switch c {
				case 0, 1:
					if c == 0 {
						VMOVUPS(Mem{Base: row}, a)
						VMOVUPS(Mem{Base: row, Disp: 64}, b)
					}
					VMOVAPS(a, v)
					if c == 0 {
						VPERMT2PS(b, ie, v)
					} else {
						VPERMT2PS(b, io, v)
					}
				case 2:
					VMOVUPS(Mem{Base: row, Disp: 8}, a)
					VMOVUPS_Z(Mem{Base: row, Disp: 72}, last, b)
					VMOVAPS(a, v)
					VPERMT2PS(b, ie, v)
				}
				if c == 0 {
					VMOVDQA32(rowIdx, idx)
				} else {
					VPADDD(one, idx, idx)
				}
				// key = (b ^ (m & 0x7fffffff)) − m, m = b >> 31
				VPSRAD(Imm(31), v, m)
				VPANDD(magn, m, key)
				VPXORD(v, key, key)
				VPSUBD(m, key, key)
				if r == 0 && c == 0 {
					VMOVDQA32(key, top)
					VMOVAPS(v, val)
					VMOVDQA32(idx, win)
					continue
				}
				VPCMPGTD(top, key, more) // key > top
				VMOVDQA32(key, more, top)
				VMOVAPS(v, more, val)
				VMOVDQA32(idx, more, win)
			}
			ADDQ(wb, row)
			VPADDD(wrow, rowIdx, rowIdx)
		}
		VMOVUPS(val, Mem{Base: dp})
		VMOVDQU32(win, Mem{Base: ap})
		ADDQ(Imm(128), sp)
		ADDQ(Imm(64), dp)
		ADDQ(Imm(64), ap)
		VPADDD(step32, lanes, lanes)
	})
	VZEROUPPER()
	RET()
}

// planes emits the loop of a per-plane elementwise function over the
// planes of slice parameter dst, hw values each, one after another (every
// slice in data advancing a plane, the float32 slice parameters in
// params, len(params[0]) of them, a value a plane): before each plane the
// parameters are broadcast, body computes eight results at byte offset
// idx from the value width w, and then the plane's hw mod 8 last values
// one at a time in w's scalar form (the same roundings).
func planes(name string, data []GPVirtual, params []string, body func(w width, idx Register, c []VecVirtual) Register) {
	dst := data[0]
	hw := scaled("hw")
	count := Load(Param(params[0]).Len(), GP64())
	ps := bases(params...)
	c := make([]VecVirtual, len(params))
	for i := range c {
		c[i] = YMM()
	}
	full := GP64() // bytes of a plane's whole vectors
	MOVQ(hw, full)
	ANDQ(I32(^(lanes*f32 - 1)), full)
	top, vecs, tail, next, done := name+"_plane", name+"_vec", name+"_tail", name+"_next", name+"_done"
	Label(top)
	TESTQ(count, count)
	JZ(LabelRef(done))
	for i := range c {
		VBROADCASTSS(Mem{Base: ps[i]}, c[i])
	}
	idx := GP64()
	XORQ(idx, idx)
	Label(vecs)
	CMPQ(idx, full)
	JGE(LabelRef(tail))
	VMOVUPS(body(vector, idx, c), Mem{Base: dst, Index: idx, Scale: 1})
	ADDQ(Imm(lanes*f32), idx)
	JMP(LabelRef(vecs))
	Label(tail)
	CMPQ(idx, hw)
	JGE(LabelRef(next))
	VMOVSS(body(scalar, idx, c), Mem{Base: dst, Index: idx, Scale: 1})
	ADDQ(Imm(f32), idx)
	JMP(LabelRef(tail))
	Label(next)
	for _, p := range data {
		ADDQ(hw, p)
	}
	for _, p := range ps {
		ADDQ(Imm(f32), p)
	}
	DECQ(count)
	JMP(LabelRef(top))
	Label(done)
	VZEROUPPER()
	RET()
}

// A width is the instructions of one width of float32 arithmetic: eight
// values in a ymm register, or one in an xmm register's low lane.
type width struct {
	reg               func() Register     // a fresh register
	of                func(VecVirtual) Op // a broadcast ymm's operand
	load              func(...Op)         // from memory
	sub, mul, add, mx func(...Op)         // arithmetic, and max
}

var (
	vector = width{reg: func() Register { return YMM() }, of: func(v VecVirtual) Op { return v },
		load: VMOVUPS, sub: VSUBPS, mul: VMULPS, add: VADDPS, mx: VMAXPS}
	scalar = width{reg: func() Register { return XMM() }, of: func(v VecVirtual) Op { return v.AsX() },
		load: VMOVSS, sub: VSUBSS, mul: VMULSS, add: VADDSS, mx: VMAXSS}
)

// planesText opens plane kernel name+"AVX2" with signature sig and
// returns the base addresses of its slice parameters data.
func planesText(name, sig string, data ...string) []GPVirtual {
	TEXT(name+"AVX2", NOSPLIT, sig)
	Doc(name + "AVX2 is " + name + "Generic with AVX2: len(mu) planes of hw values; the other slices at least as long.")
	Pragma("noescape")
	return bases(data...)
}

// bases loads the base addresses of slice parameters.
func bases(names ...string) []GPVirtual {
	r := make([]GPVirtual, len(names))
	for i, n := range names {
		r[i] = GP64()
		Load(Param(n).Base(), r[i])
	}
	return r
}

// normalized sets t to (x − mu)·is·γ + β at idx of x as normalizeAVX2
// computes it, c holding mu, is, γ and β.
func normalized(w width, xp, idx Register, c []VecVirtual) Register {
	t := w.reg()
	w.load(Mem{Base: xp, Index: idx, Scale: 1}, t)
	w.sub(w.of(c[0]), t, t)
	w.mul(w.of(c[1]), t, t)
	w.mul(w.of(c[2]), t, t)
	w.add(w.of(c[3]), t, t)
	return t
}

// normalizePlanes emits normalizePlanesAVX2, normalize on consecutive
// planes, plane p with mu[p], is[p], gamma[p], beta[p]: per value the
// operations of normalizeAVX2.
func normalizePlanes() {
	pp := planesText("normalizePlanes", "func(dst, x []float32, hw int, mu, is, gamma, beta []float32)", "dst", "x")
	planes("normalizePlanes", pp, []string{"mu", "is", "gamma", "beta"}, func(w width, idx Register, c []VecVirtual) Register {
		return normalized(w, pp[1], idx, c)
	})
}

// normGradPlanes emits normGradPlanesAVX2, normGrad on consecutive planes,
// plane p with mu[p], is[p], scale[p], mdy[p], mdyx[p]: per value the
// operations of normGradAVX2.
func normGradPlanes() {
	pp := planesText("normGradPlanes", "func(dst, dy, x []float32, hw int, mu, is, scale, mdy, mdyx []float32)", "dst", "dy", "x")
	dyp, xp := pp[1], pp[2]
	planes("normGradPlanes", pp, []string{"mu", "is", "scale", "mdy", "mdyx"}, func(w width, idx Register, c []VecVirtual) Register {
		h, t := w.reg(), w.reg()
		w.load(Mem{Base: xp, Index: idx, Scale: 1}, h)
		w.sub(w.of(c[0]), h, h)
		w.mul(w.of(c[1]), h, h)
		w.mul(w.of(c[4]), h, h)
		w.load(Mem{Base: dyp, Index: idx, Scale: 1}, t)
		w.sub(w.of(c[3]), t, t)
		w.sub(h, t, t)
		w.mul(w.of(c[2]), t, t)
		return t
	})
}

// normalizeAddReluPlanes emits normalizeAddReluPlanesAVX2: normalizePlanes,
// then s added and max(·, 0) taken as addRelu takes them (maxZero), a
// BatchNorm's output summed with a residual block's shortcut and passed
// through its ReLU in one pass.
func normalizeAddReluPlanes() {
	pp := planesText("normalizeAddReluPlanes", "func(dst, x, s []float32, hw int, mu, is, gamma, beta []float32)", "dst", "x", "s")
	z, abs := zero(), absMask()
	planes("normalizeAddReluPlanes", pp, []string{"mu", "is", "gamma", "beta"}, func(w width, idx Register, c []VecVirtual) Register {
		t := normalized(w, pp[1], idx, c)
		w.add(Mem{Base: pp[2], Index: idx, Scale: 1}, t, t)
		w.mx(t, w.of(z), t) // maxZero
		VANDPS(w.of(abs), t, t)
		return t
	})
}
