//go:build !purego

package gemm

import "golang.org/x/sys/cpu"

//go:generate go run -C _asm . -out ../kernel_amd64.s

// hasAVX2 selects the AVX2+FMA kernel; GODEBUG=cpu.avx2=off,cpu.fma=off
// turns it off from outside.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kernel6x16AVX2 is kernelGeneric(6, 16, ...) on twelve ymm accumulators.
// It is assembly because Go does not vectorize: broadcast A, FMA with B.
//
//go:noescape
func kernel6x16AVX2(k int, a, b, c []float32, ldc int, beta float32)

// kernel4x24AVX2 is kernelGeneric(4, 24, ...), the same way.
//
//go:noescape
func kernel4x24AVX2(k int, a, b, c []float32, ldc int, beta float32)

var avx2 = &impl{
	name: "avx2",
	mr:   4, nr: 24,
	mc: 120, kc: 384, nc: 4096,
	kernel: kernel4x24AVX2,
}

func archImpls() []*impl {
	if hasAVX2 {
		return []*impl{avx2}
	}
	return nil
}
