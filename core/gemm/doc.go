// Package gemm is the matrix-multiply engine: Sgemm on row-major float32
// matrices, in BLAS terms. It knows nothing of layers; core/conv builds
// convolutions on it.
//
// Sgemm is organised as in BLIS: Go code checks arguments, splits C across
// a persistent pool of goroutines (by rows or by columns, never along k),
// walks cache blocks (mc×kc of A, kc×nc of B) and packs them into panels,
// handling transposes while packing; a micro-kernel computes one mr×nr tile
// of C from two packed panels. Micro-kernels are assembly where Go would be
// slow (amd64: 8×32 on zmm with AVX-512 and 4×24 with AVX2+FMA, generated
// by avo from _asm/; arm64: 8×8 NEON, hand-written) beside kernelGeneric,
// the plain Go loop that defines them and runs everywhere else (or with
// -tags purego). The kernel is chosen at init from golang.org/x/sys/cpu:
// GODEBUG=cpu.avx512f=off selects AVX2, GODEBUG=cpu.avx2=off,cpu.fma=off
// (or cpu.asimd=off) the generic one. The AVX-512 and AVX2 impls block k
// alike and so give the same bits.
//
// Two more entry points take B in the forms a convolution has it, never
// stored whole: SgemmPanels, a B that packs its own panels (an im2col
// matrix read from the images), and SgemmRows, a B whose rows are given by
// offsets into one slice (an im2col matrix over a padded image, whose rows
// are the image shifted). The AVX2 engine reads SgemmRows's panels in
// place with a variant of its micro-kernel, and computes C = A·Rᵀ (a
// filter gradient) as dot products of rows with a 4×3 kernel of its own.
// Sgemm reads a stored, untransposed B in place the same way where it has
// at most 256 rows (maxInPlaceK) or a goroutine computes at most 256 rows
// of C (maxInPlaceRows): there packing it cost more than it saved.
//
// Every output element accumulates its k products in the same order however
// many goroutines share the work, so results do not depend on GOMAXPROCS.
// Blocking is fixed per kernel, chunks of C are whole tiles, and tiles at the
// right and bottom edges are computed in a local tile and copied.
//
// After warm-up a call allocates nothing: packing buffers belong to the
// workers and to the calling goroutines, kept on free lists.
package gemm
