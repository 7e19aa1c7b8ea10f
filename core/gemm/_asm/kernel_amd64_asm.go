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
	mr     = 6  // rows of the C tile: broadcasts of A per step
	nr     = 16 // columns: two ymm vectors of B per step
	unroll = 4  // k steps per loop iteration
	f32    = 4  // bytes per float32
	aStep  = mr * f32
	bStep  = nr * f32
)

func main() {
	ConstraintExpr("!purego")
	kernel6x16()
	Generate()
}

// kernel6x16 is kernelGeneric for mr = 6, nr = 16: twelve ymm accumulators
// hold the tile; each k step loads two vectors of B, broadcasts six values of
// A and issues twelve FMAs.
func kernel6x16() {
	TEXT("kernel6x16AVX2", NOSPLIT, "func(k int, a, b, c []float32, ldc int, beta float32)")
	Doc("kernel6x16AVX2 is kernelGeneric for a 6×16 tile, with AVX2 and FMA.")
	Pragma("noescape")

	k := Load(Param("k"), GP64())
	ap := Load(Param("a").Base(), GP64())
	bp := Load(Param("b").Base(), GP64())
	cp := Load(Param("c").Base(), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(Imm(2), ldc) // bytes per row of C

	var acc [mr][2]VecVirtual
	for i := range acc {
		for j := range acc[i] {
			acc[i][j] = YMM()
			VXORPS(acc[i][j], acc[i][j], acc[i][j])
		}
	}

	// One k step at offset u of the current position.
	step := func(u int) {
		b0, b1 := YMM(), YMM()
		VMOVUPS(Mem{Base: bp, Disp: u * bStep}, b0)
		VMOVUPS(Mem{Base: bp, Disp: u*bStep + 32}, b1)
		for i := 0; i < mr; i++ {
			t := YMM()
			VBROADCASTSS(Mem{Base: ap, Disp: u*aStep + i*f32}, t)
			VFMADD231PS(b0, t, acc[i][0])
			VFMADD231PS(b1, t, acc[i][1])
		}
	}

	Comment(fmt.Sprintf("Main loop: %d k steps per iteration.", unroll))
	Label("loop")
	CMPQ(k, Imm(unroll))
	JL(LabelRef("tail"))
	for u := 0; u < unroll; u++ {
		step(u)
	}
	ADDQ(Imm(unroll*aStep), ap)
	ADDQ(U32(unroll*bStep), bp)
	SUBQ(Imm(unroll), k)
	JMP(LabelRef("loop"))

	Comment("Remaining k steps, one at a time.")
	Label("tail")
	TESTQ(k, k)
	JE(LabelRef("store"))
	step(0)
	ADDQ(Imm(aStep), ap)
	ADDQ(Imm(bStep), bp)
	DECQ(k)
	JMP(LabelRef("tail"))

	Label("store")
	beta := XMM()
	Load(Param("beta"), beta)
	zero := XMM()
	XORPS(zero, zero)
	UCOMISS(zero, beta)
	JNE(LabelRef("accumulate"))
	JP(LabelRef("accumulate")) // beta is NaN

	Comment("beta == 0: overwrite C.")
	for i := 0; i < mr; i++ {
		VMOVUPS(acc[i][0], Mem{Base: cp})
		VMOVUPS(acc[i][1], Mem{Base: cp, Disp: 32})
		if i < mr-1 {
			ADDQ(ldc, cp)
		}
	}
	VZEROUPPER()
	RET()

	Comment("C = acc + beta·C.")
	Label("accumulate")
	bv := YMM()
	VBROADCASTSS(beta, bv)
	for i := 0; i < mr; i++ {
		VFMADD231PS(Mem{Base: cp}, bv, acc[i][0])
		VFMADD231PS(Mem{Base: cp, Disp: 32}, bv, acc[i][1])
		VMOVUPS(acc[i][0], Mem{Base: cp})
		VMOVUPS(acc[i][1], Mem{Base: cp, Disp: 32})
		if i < mr-1 {
			ADDQ(ldc, cp)
		}
	}
	VZEROUPPER()
	RET()
}
