//go:build !purego

package gemm

import "golang.org/x/sys/cpu"

//go:generate go run -C _asm . -out ../kernel_amd64.s

// hasAVX2 selects the AVX2+FMA kernel; GODEBUG=cpu.avx2=off,cpu.fma=off
// turns it off from outside. hasAVX512 selects the AVX-512 one
// (GODEBUG=cpu.avx512f=off turns it off); its kernels use AVX512F only.
var (
	hasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	hasAVX512 = hasAVX2 && cpu.X86.HasAVX512F
)

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

// kernelRowsA4x24AVX2 is kernelRows4x24AVX2 with A's four rows read in
// place, lda apart: kernelRows4x24AVX2 on the panel packA would pack.
//
//go:noescape
func kernelRowsA4x24AVX2(k int, a []float32, lda int, b []float32, off []int, c []float32, ldc int, beta float32)

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
	kernel:      kernel4x24AVX2,
	rowsKernel:  kernelRows4x24AVX2,
	rowsAKernel: kernelRowsA4x24AVX2,
	dotKernel:   dot4x3AVX2,
	dotMR:       4, dotNR: 3,
}

// kernel8x32AVX512 is kernelGeneric(8, 32, ...) on sixteen zmm
// accumulators: per k step two vectors of B, eight broadcasts of A and
// sixteen FMAs.
//
//go:noescape
func kernel8x32AVX512(k int, a, b, c []float32, ldc int, beta float32)

// kernelRows8x32AVX512 is kernel8x32AVX512 reading B's panel in place
// (kernelRowsGeneric).
//
//go:noescape
func kernelRows8x32AVX512(k int, a, b []float32, off []int, c []float32, ldc int, beta float32)

// kernelRowsA8x32AVX512 is kernelRows8x32AVX512 with A's eight rows read
// in place, lda apart: kernelRows8x32AVX512 on the panel packA would
// pack.
//
//go:noescape
func kernelRowsA8x32AVX512(k int, a []float32, lda int, b []float32, off []int, c []float32, ldc int, beta float32)

// dot4x6AVX512 is dotGeneric(4, 6, ...) on zmm: each register holds two
// elements' eight lanes, so its sums are dot4x3AVX2's.
//
//go:noescape
func dot4x6AVX512(k int, a []float32, aoff []int, b []float32, boff []int, acc []float32)

// avx512 uses the 32 zmm registers for a tile of 8×32, two and a half
// times AVX2's, with AVX2's kc: every element of C sums its products in
// the same order as under avx2, so the two give identical results
// (TestImplsAgree). Its 48 KiB micro-panel of B fills a 48 KiB L1;
// tiles of 12×32, 8×48 and 6×64 (24 accumulators) measured no faster on
// BenchmarkSgemm's squares and conv shapes, one thread.
var avx512 = &impl{
	name: "avx512",
	mr:   8, nr: 32,
	mc: 120, kc: 384, nc: 1920,
	kernel:      kernel8x32AVX512,
	rowsKernel:  kernelRows8x32AVX512,
	rowsAKernel: kernelRowsA8x32AVX512,
	dotKernel:   dot4x6AVX512,
	dotMR:       4, dotNR: 6,
}

// pack8x8AVX2 is pack8 on blocks of eight columns: per block eight row
// loads, an 8×8 transpose in registers, alpha's products and eight
// stores.
//
//go:noescape
func pack8x8AVX2(d, a []float32, lda, blocks int, alpha float32)

// pack4x8AVX2 is pack4 on blocks of eight columns, as pack8x8AVX2.
//
//go:noescape
func pack4x8AVX2(d, a []float32, lda, blocks int, alpha float32)

// packBlocks packs the whole blocks of eight of pack8's or pack4's kb
// columns (rows 8 or 4) with pack8x8AVX2 or pack4x8AVX2 where the CPU has
// AVX2, and returns how many columns it did; the products are the Go
// loop's, so the bits are too.
func packBlocks(rows int, d, a []float32, lda, kb int, alpha float32) int {
	if !hasAVX2 || kb < 8 {
		return 0
	}
	switch rows {
	case 8:
		pack8x8AVX2(d[:8*kb], a, lda, kb/8, alpha)
	case 4:
		pack4x8AVX2(d[:4*kb], a, lda, kb/8, alpha)
	default:
		return 0
	}
	return kb &^ 7
}

func archImpls() []*impl {
	switch {
	case hasAVX512:
		return []*impl{avx2, avx512}
	case hasAVX2:
		return []*impl{avx2}
	}
	return nil
}
