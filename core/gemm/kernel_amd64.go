//go:build !purego

package gemm

import "golang.org/x/sys/cpu"

//go:generate go run -C _asm . -out ../kernel_amd64.s

// hasAVX2 selects the AVX2+FMA kernel; GODEBUG=cpu.avx2=off,cpu.fma=off
// turns it off from outside.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kernel4x24AVX2 is kernelGeneric(4, 24, ...) on twelve ymm accumulators.
// It is assembly because Go does not vectorize: per k step it loads three
// vectors of B, broadcasts four values of A and issues twelve FMAs.
//
//go:noescape
func kernel4x24AVX2(k int, a, b, c []float32, ldc int, beta float32)

// kernelRows4x24AVX2 is kernel4x24AVX2 with the B panel read in place from
// rows of a matrix given by offsets (kernelRowsGeneric), for SgemmRows.
//
//go:noescape
func kernelRows4x24AVX2(k int, a, b []float32, off []int, c []float32, ldc int, beta float32)

// dot4x3AVX2 is dotGeneric(4, 3, ...): the filter-gradient kernel of
// SgemmRows with tB (see dot.go).
//
//go:noescape
func dot4x3AVX2(k int, a []float32, aoff []int, b []float32, boff []int, acc []float32)

var avx2 = &impl{
	name: "avx2",
	mr:   4, nr: 24,
	// A 384×24 micro-panel of B (36 KiB) stays in L1 (48 KiB), a 120×384
	// block of A (180 KiB) in L2 (2 MiB per core). B panels are up to 1920
	// wide (see block), 960 when n is larger: a 2.8 MiB panel was slower on
	// conv shapes, whose B streams from memory.
	mc: 120, kc: 384, nc: 1920,
	kernel:     kernel4x24AVX2,
	rowsKernel: kernelRows4x24AVX2,
	dotKernel:  dot4x3AVX2,
}

func archImpls() []*impl {
	if hasAVX2 {
		return []*impl{avx2}
	}
	return nil
}
