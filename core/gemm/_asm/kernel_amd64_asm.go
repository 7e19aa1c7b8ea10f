// Command _asm generates ../kernel_amd64.s with avo:
//
//	go run . -out ../kernel_amd64.s
//
// It is its own module so that avo stays out of untied's dependencies.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

const (
	unroll = 4  // k steps per loop iteration
	f32    = 4  // bytes per float32
	lanes  = 8  // float32 per ymm
	line   = 64 // bytes per cache line
)

// An isa is the vector width a kernel is written for.
type isa struct {
	name  string // name suffix: AVX2 or AVX512
	lanes int    // float32 per register
	vec   func() VecVirtual
	zero  func(v VecVirtual)
}

var (
	avx2   = isa{"AVX2", 8, YMM, func(v VecVirtual) { VXORPS(v, v, v) }}
	avx512 = isa{"AVX512", 16, ZMM, func(v VecVirtual) { VPXORD(v, v, v) }}
)

func (s isa) bytes() int { return s.lanes * f32 }

func main() {
	ConstraintExpr("!purego")
	// 4×24 rather than BLIS's 6×16: seven loads per twelve FMAs instead of
	// eight, m = 16 (common in conv layers) splits into whole tiles, and it
	// measured a little faster here.
	kernel(avx2, 4, 3, false, false)
	kernel(avx2, 4, 3, true, false)
	kernel(avx2, 4, 3, true, true)
	dot(4, 3)
	// 8×32 on zmm: 16 accumulators, two loads of B and eight broadcasts per
	// sixteen FMAs (ten loads per 512 flops, against seven per 192 at
	// 4×24), and the same kc, so each element of C sums in AVX2's order.
	kernel(avx512, 8, 2, false, false)
	kernel(avx512, 8, 2, true, false)
	kernel(avx512, 8, 2, true, true)
	dot512(2, 6)
	pack8x8()
	pack4x8()
	Generate()
}

// kernel emits kernel{mr}x{nr}{ISA}, kernelGeneric for an mr×nr tile with
// nr = lanes·nvec: mr·nvec accumulators (with nvec vectors of B and one
// broadcast, they must fit in the register file: 16 ymm for AVX2, 32 zmm
// for AVX-512) hold the tile; each k step loads nvec vectors of B,
// broadcasts mr values of A and issues mr·nvec FMAs. With rows it emits
// kernelRows{mr}x{nr}{ISA} instead, which reads row p of the B panel in
// place at b[off[p]:] (kernelRowsGeneric): the same FMAs in the same
// order, one more load per k step. With inA too it emits
// kernelRowsA{mr}x{nr}{ISA}, which also reads A in place, row i of the
// tile at a[i·lda:] (rowsKernel on the panel packA would pack from them,
// alpha 1): a small product then packs nothing.
func kernel(set isa, mr, nvec int, rows, inA bool) {
	if regs := map[string]int{"AVX2": 16, "AVX512": 32}[set.name]; mr*nvec+nvec+1 > regs {
		panic(fmt.Sprintf("%s %d×%d: %d registers needed, %d exist", set.name, mr, nvec, mr*nvec+nvec+1, regs))
	}
	nr := nvec * set.lanes
	vb := set.bytes()
	aStep, bStep := mr*f32, nr*f32
	name := fmt.Sprintf("kernel%dx%d%s", mr, nr, set.name)
	sig := "func(k int, a, b, c []float32, ldc int, beta float32)"
	doc := fmt.Sprintf("%s is kernelGeneric for a %d×%d tile, with %s and FMA.", name, mr, nr, set.name)
	if rows {
		name = fmt.Sprintf("kernelRows%dx%d%s", mr, nr, set.name)
		sig = "func(k int, a, b []float32, off []int, c []float32, ldc int, beta float32)"
		doc = fmt.Sprintf("%s is kernelRowsGeneric for a %d×%d tile, with %s and FMA.", name, mr, nr, set.name)
	}
	if inA {
		name = fmt.Sprintf("kernelRowsA%dx%d%s", mr, nr, set.name)
		sig = "func(k int, a []float32, lda int, b []float32, off []int, c []float32, ldc int, beta float32)"
		doc = fmt.Sprintf("%s is the rows kernel for a %d×%d tile, with %s and FMA, with A's rows read in place, lda apart.", name, mr, nr, set.name)
	}
	TEXT(name, NOSPLIT, sig)
	Doc(doc)
	Pragma("noescape")

	k := Load(Param("k"), GP64())
	ap := Load(Param("a").Base(), GP64())
	// aAt is where the kernel broadcasts A's row i at k step u from: the
	// packed panel, or with inA row i itself, from ap or ap3 = ap + 3·lda
	// with an index of lda or 3·lda scaled by 1, 2 or 4.
	aAt := func(i, u int) Mem { return Mem{Base: ap, Disp: u*aStep + i*f32} }
	var ap3 Register
	if inA {
		lda := Load(Param("lda"), GP64())
		SHLQ(Imm(2), lda) // bytes
		lda3 := GP64()
		LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
		ap3 = GP64()
		LEAQ(Mem{Base: ap, Index: lda3, Scale: 1}, ap3)
		rowsA := rowAddrs(ap, ap3, lda, lda3)
		if mr > len(rowsA) {
			panic(fmt.Sprintf("%s: in-place A for at most %d rows", name, len(rowsA)))
		}
		aAt = func(i, u int) Mem { return rowsA[i].Offset(u * f32) }
	}
	// advanceA moves A on by n k steps.
	advanceA := func(n int) {
		if !inA {
			ADDQ(U32(n*aStep), ap)
			return
		}
		ADDQ(U32(n*f32), ap)
		ADDQ(U32(n*f32), ap3)
	}
	bp := Load(Param("b").Base(), GP64())
	// next is the pointer that moves along B: the panel itself, or its
	// table of row offsets.
	next, nextStep := bp, bStep
	if rows {
		next, nextStep = Load(Param("off").Base(), GP64()), 8
	}
	cp := Load(Param("c").Base(), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(Imm(2), ldc) // bytes per row of C

	// Fetch the C tile now, so that the loads and stores at the end find it
	// in cache: rows are ldc apart, nr floats each. This measured +15% at
	// 2048³, where C rows 8 KiB apart miss every time.
	pc := GP64()
	MOVQ(cp, pc)
	for i := 0; i < mr; i++ {
		for d := 0; d < nr*f32-1; d += line {
			PREFETCHT0(Mem{Base: pc, Disp: d})
		}
		PREFETCHT0(Mem{Base: pc, Disp: nr*f32 - 1})
		if i < mr-1 {
			ADDQ(ldc, pc)
		}
	}

	acc := make([][]VecVirtual, mr)
	for i := range acc {
		acc[i] = make([]VecVirtual, nvec)
		for j := range acc[i] {
			acc[i][j] = set.vec()
			set.zero(acc[i][j])
		}
	}

	// One k step at offset u of the current position.
	step := func(u int) {
		bv := make([]VecVirtual, nvec)
		row := Mem{Base: bp, Disp: u * bStep}
		if rows {
			r := GP64()
			MOVQ(Mem{Base: next, Disp: u * 8}, r)
			row = Mem{Base: bp, Index: r, Scale: f32}
		}
		for j := range bv {
			bv[j] = set.vec()
			VMOVUPS(row.Offset(vb*j), bv[j])
		}
		for i := 0; i < mr; i++ {
			t := set.vec()
			VBROADCASTSS(aAt(i, u), t)
			for j := range bv {
				VFMADD231PS(bv[j], t, acc[i][j])
			}
		}
	}

	loop, tail, store, accumulate := name+"_loop", name+"_tail", name+"_store", name+"_accumulate"
	Comment(fmt.Sprintf("Main loop: %d k steps per iteration.", unroll))
	Label(loop)
	CMPQ(k, Imm(unroll))
	JL(LabelRef(tail))
	for u := 0; u < unroll; u++ {
		step(u)
	}
	advanceA(unroll)
	ADDQ(U32(unroll*nextStep), next)
	SUBQ(Imm(unroll), k)
	JMP(LabelRef(loop))

	Comment("Remaining k steps, one at a time.")
	Label(tail)
	TESTQ(k, k)
	JE(LabelRef(store))
	step(0)
	advanceA(1)
	ADDQ(U32(nextStep), next)
	DECQ(k)
	JMP(LabelRef(tail))

	Label(store)
	// VEX encodings only from here: a legacy SSE instruction (MOVSS, as
	// Load would emit) with dirty upper ymm halves cost ~150 ns per call.
	betaParam, err := Param("beta").Resolve()
	if err != nil {
		panic(err)
	}
	beta, zero := XMM(), XMM()
	VMOVSS(betaParam.Addr, beta)
	VXORPS(zero, zero, zero)
	VUCOMISS(zero, beta)
	JNE(LabelRef(accumulate))
	JP(LabelRef(accumulate)) // beta is NaN

	Comment("beta == 0: overwrite C.")
	for i := 0; i < mr; i++ {
		for j := 0; j < nvec; j++ {
			VMOVUPS(acc[i][j], Mem{Base: cp, Disp: vb * j})
		}
		if i < mr-1 {
			ADDQ(ldc, cp)
		}
	}
	VZEROUPPER()
	RET()

	Comment("C = acc + beta·C.")
	Label(accumulate)
	bv := set.vec()
	VBROADCASTSS(beta, bv)
	for i := 0; i < mr; i++ {
		for j := 0; j < nvec; j++ {
			VFMADD231PS(Mem{Base: cp, Disp: vb * j}, bv, acc[i][j])
			VMOVUPS(acc[i][j], Mem{Base: cp, Disp: vb * j})
		}
		if i < mr-1 {
			ADDQ(ldc, cp)
		}
	}
	VZEROUPPER()
	RET()
}

// dot emits dot{mr}x{nr}AVX2, dotGeneric for mr rows of A and nr rows of
// R, each contiguous along k: mr·nr ymm accumulators of eight lanes each
// (at most 12, so that with nr vectors of R and one of A all fit in 16
// registers), loaded from acc, added to over k (a multiple of 8) and stored
// back. Each k step of eight loads nr vectors of R and mr of A and issues
// mr·nr FMAs: seven loads per twelve FMAs at 4×3, as the 4×24 kernel.
func dot(mr, nr int) {
	name := fmt.Sprintf("dot%dx%dAVX2", mr, nr)
	k, arow, brow := dotEntry(name, "AVX2 and FMA", mr, nr)
	accp := Load(Param("acc").Base(), GP64())
	acc := make([][]VecVirtual, mr)
	for i := range acc {
		acc[i] = make([]VecVirtual, nr)
		for j := range acc[i] {
			acc[i][j] = YMM()
			VMOVUPS(Mem{Base: accp, Disp: 32 * (i*nr + j)}, acc[i][j])
		}
	}
	idx := GP64()
	XORQ(idx, idx)

	// One step of eight k at byte offset u of the current position.
	step := func(u int) {
		bv := make([]VecVirtual, nr)
		for j := range bv {
			bv[j] = YMM()
			VMOVUPS(Mem{Base: brow[j], Index: idx, Scale: 1, Disp: u}, bv[j])
		}
		for i := 0; i < mr; i++ {
			av := YMM()
			VMOVUPS(Mem{Base: arow[i], Index: idx, Scale: 1, Disp: u}, av)
			for j := range bv {
				VFMADD231PS(av, bv[j], acc[i][j])
			}
		}
	}
	dotLoop(name, k, idx, step)
	for i := range acc {
		for j := range acc[i] {
			VMOVUPS(acc[i][j], Mem{Base: accp, Disp: 32 * (i*nr + j)})
		}
	}
	VZEROUPPER()
	RET()
}

// dotEntry opens dot kernel name for mr rows of A and nr of R: its
// declaration, k in bytes, and the rows' addresses.
func dotEntry(name, isaDoc string, mr, nr int) (k Register, arow, brow []GPVirtual) {
	TEXT(name, NOSPLIT, "func(k int, a []float32, aoff []int, b []float32, boff []int, acc []float32)")
	Doc(fmt.Sprintf("%s is dotGeneric for %d rows of A and %d of R, with %s.", name, mr, nr, isaDoc))
	Pragma("noescape")
	k = Load(Param("k"), GP64())
	SHLQ(Imm(2), k) // bytes
	return k, rowPointers("a", "aoff", mr), rowPointers("b", "boff", nr)
}

// rowPointers loads the addresses of n rows of the slice parameter base,
// at the offsets in the []int parameter offs, into general registers.
func rowPointers(base, offs string, n int) []GPVirtual {
	b := Load(Param(base).Base(), GP64())
	o := Load(Param(offs).Base(), GP64())
	r := make([]GPVirtual, n)
	for i := range r {
		r[i] = GP64()
		MOVQ(Mem{Base: o, Disp: 8 * i}, r[i])
		LEAQ(Mem{Base: b, Index: r[i], Scale: f32}, r[i])
	}
	return r
}

// dotLoop emits a dot kernel's loop over k bytes of its rows: two steps of
// eight floats per iteration while they fit, then at most one more (k is a
// multiple of 8 floats); step(u) emits one step at byte offset u from idx.
func dotLoop(name string, k, idx Register, step func(u int)) {
	loop, tail, done := name+"_loop", name+"_tail", name+"_done"
	end := GP64()
	Comment("Main loop: two steps of eight per iteration.")
	MOVQ(k, end)
	SUBQ(Imm(32), end) // the last offset from which two steps fit
	Label(loop)
	CMPQ(idx, end)
	JGE(LabelRef(tail))
	step(0)
	step(32)
	ADDQ(Imm(64), idx)
	JMP(LabelRef(loop))
	Label(tail)
	CMPQ(idx, k)
	JGE(LabelRef(done))
	step(0)
	ADDQ(Imm(32), idx)
	Label(done)
}

// dot512 emits dot{2·mp}x{nr}AVX512, dotGeneric for 2·mp rows of A and nr
// of R on zmm registers without changing its sums: each zmm accumulator
// holds two elements' eight lanes, rows 2p and 2p+1 of A against row s of
// R, so every lane still sums the products of its index mod 8 in
// increasing order and the results equal dot4x3AVX2's bit for bit. Per
// step of eight k: nr 256-bit rows of R broadcast to both halves, mp pairs
// of A rows (one load and one insert each), mp·nr FMAs. The lanes in acc
// keep dotGeneric's layout: element (i, j) at (i·nr+j)·8.
func dot512(mp, nr int) {
	mr := 2 * mp
	if mp*nr+nr+1 > 32 || mr+nr+3 > 13 {
		panic(fmt.Sprintf("dot512 %d×%d: too many registers", mr, nr))
	}
	name := fmt.Sprintf("dot%dx%dAVX512", mr, nr)
	k, arow, brow := dotEntry(name, "AVX-512", mr, nr)
	// acc's pointer is loaded again at the end rather than kept: with
	// mr+nr row pointers there are few general registers to spare.
	accp := Load(Param("acc").Base(), GP64())
	lane := func(i, j int) Mem { return Mem{Base: accp, Disp: 32 * (i*nr + j)} }
	acc := make([][]VecVirtual, mp)
	for p := range acc {
		acc[p] = make([]VecVirtual, nr)
		for j := range acc[p] {
			acc[p][j] = ZMM()
			VMOVUPS(lane(2*p, j), acc[p][j].AsY())
			VINSERTF64X4(Imm(1), lane(2*p+1, j), acc[p][j], acc[p][j])
		}
	}
	idx := GP64()
	XORQ(idx, idx)

	// One step of eight k at byte offset u of the current position.
	step := func(u int) {
		rv := make([]VecVirtual, nr)
		for j := range rv {
			rv[j] = ZMM()
			VBROADCASTF64X4(Mem{Base: brow[j], Index: idx, Scale: 1, Disp: u}, rv[j])
		}
		for p := 0; p < mp; p++ {
			av := ZMM()
			VMOVUPS(Mem{Base: arow[2*p], Index: idx, Scale: 1, Disp: u}, av.AsY())
			VINSERTF64X4(Imm(1), Mem{Base: arow[2*p+1], Index: idx, Scale: 1, Disp: u}, av, av)
			for j := range rv {
				VFMADD231PS(av, rv[j], acc[p][j])
			}
		}
	}
	dotLoop(name, k, idx, step)
	accp = Load(Param("acc").Base(), GP64())
	for p := range acc {
		for j := range acc[p] {
			VMOVUPS(acc[p][j].AsY(), lane(2*p, j))
			VEXTRACTF64X4(Imm(1), acc[p][j], lane(2*p+1, j))
		}
	}
	VZEROUPPER()
	RET()
}

// rowAddrs returns where rows 0–7 of a matrix at ap start, rows lda
// bytes apart, with lda3 = 3·lda and ap3 = ap + lda3: scaled indices reach
// rows 0, 1, 2 and 4 from ap, 6 as ap + 2·lda3, and 3, 5 and 7 from ap3.
func rowAddrs(ap, ap3, lda, lda3 Register) []Mem {
	return []Mem{
		{Base: ap}, {Base: ap, Index: lda, Scale: 1}, {Base: ap, Index: lda, Scale: 2}, {Base: ap3},
		{Base: ap, Index: lda, Scale: 4}, {Base: ap3, Index: lda, Scale: 2}, {Base: ap, Index: lda3, Scale: 2}, {Base: ap3, Index: lda, Scale: 4},
	}
}

// packKernel emits the frame of pack{rows}x8AVX2, pack{rows} on whole
// blocks of eight columns: a loop over the blocks that loads the block's
// rows, has block turn them into the packed block's 32-byte vectors (in
// order), multiplies those by alpha and stores them.
func packKernel(rows int, block func(r []VecVirtual) []VecVirtual) {
	name := fmt.Sprintf("pack%dx8AVX2", rows)
	TEXT(name, NOSPLIT, "func(d, a []float32, lda, blocks int, alpha float32)")
	Doc(fmt.Sprintf("%s sets d[%dp+i] = alpha·a[i·lda+p] for i < %d and p < 8·blocks: pack%d on whole blocks of eight columns.", name, rows, rows, rows))
	Pragma("noescape")
	dp := Load(Param("d").Base(), GP64())
	ap := Load(Param("a").Base(), GP64())
	lda := Load(Param("lda"), GP64())
	SHLQ(Imm(2), lda) // bytes
	blocks := Load(Param("blocks"), GP64())
	alphaParam, err := Param("alpha").Resolve()
	if err != nil {
		panic(err)
	}
	alpha := YMM()
	VBROADCASTSS(alphaParam.Addr, alpha)
	lda3, ap3 := GP64(), GP64()
	LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
	loop, done := name+"_loop", name+"_done"
	Label(loop)
	TESTQ(blocks, blocks)
	JZ(LabelRef(done))
	LEAQ(Mem{Base: ap, Index: lda3, Scale: 1}, ap3)
	r := make([]VecVirtual, rows)
	for i, at := range rowAddrs(ap, ap3, lda, lda3)[:rows] {
		r[i] = YMM()
		VMOVUPS(at, r[i])
	}
	for i, o := range block(r) {
		VMULPS(alpha, o, o)
		VMOVUPS(o, Mem{Base: dp, Disp: 32 * i})
	}
	ADDQ(Imm(32), ap)
	ADDQ(U32(uint64(32*rows)), dp)
	DECQ(blocks)
	JMP(LabelRef(loop))
	Label(done)
	VZEROUPPER()
	RET()
}

// unpackPairs interleaves rows 2q and 2q+1 of r, low and high halves of
// each lane: t[2q] holds their columns 0, 1, 4, 5 paired, t[2q+1] 2, 3, 6, 7.
func unpackPairs(r []VecVirtual) []VecVirtual {
	t := make([]VecVirtual, len(r))
	for q := 0; q < len(r)/2; q++ {
		t[2*q], t[2*q+1] = YMM(), YMM()
		VUNPCKLPS(r[2*q+1], r[2*q], t[2*q])
		VUNPCKHPS(r[2*q+1], r[2*q], t[2*q+1])
	}
	return t
}

// fourRows takes unpackPairs's t for rows 0–3 (t[0:4]) to u[c], column c
// of the four rows in the low 128 bits and column c+4 in the high.
func fourRows(t []VecVirtual) []VecVirtual {
	u := make([]VecVirtual, 4)
	for q := 0; q < 2; q++ { // unpacked low, high
		u[2*q], u[2*q+1] = YMM(), YMM()
		VSHUFPS(Imm(0x44), t[2+q], t[q], u[2*q])
		VSHUFPS(Imm(0xee), t[2+q], t[q], u[2*q+1])
	}
	return u
}

// pack8x8 emits pack8x8AVX2, pack8 by 8×8 transposes: the 24 shuffles
// of unpackPairs, fourRows for rows 0–3 and 4–7, and a swap of 128-bit
// halves, in place of the Go loop's 64 scalar loads, products and stores.
func pack8x8() {
	packKernel(8, func(r []VecVirtual) []VecVirtual {
		t := unpackPairs(r)
		lo, hi := fourRows(t[:4]), fourRows(t[4:])
		o := make([]VecVirtual, 8)
		for c := 0; c < 4; c++ {
			o[c], o[c+4] = YMM(), YMM()
			VPERM2F128(Imm(0x20), hi[c], lo[c], o[c])   // column c
			VPERM2F128(Imm(0x31), hi[c], lo[c], o[c+4]) // column c+4
		}
		return o
	})
}

// pack4x8 emits pack4x8AVX2, pack4 by 4×8 transposes: unpackPairs and
// fourRows, then the halves paired in column order, two columns a store
// (12 shuffles).
func pack4x8() {
	packKernel(4, func(r []VecVirtual) []VecVirtual {
		u := fourRows(unpackPairs(r))
		o := make([]VecVirtual, 4)
		for h := 0; h < 2; h++ { // columns 0–3, then 4–7
			for c := 0; c < 2; c++ {
				o[2*h+c] = YMM()
				VPERM2F128(Imm(uint64(0x20+0x11*h)), u[2*c+1], u[2*c], o[2*h+c])
			}
		}
		return o
	})
}
