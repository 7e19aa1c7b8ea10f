//go:build !purego

package gemm

import "golang.org/x/sys/cpu"

// hasNEON selects the NEON kernel. ASIMD is part of ARMv8-A, but it is read
// like any other feature so that GODEBUG=cpu.asimd=off turns it off.
var hasNEON = cpu.ARM64.HasASIMD

// kernel8x8NEON is kernelGeneric(8, 8, ...) on sixteen 4-float
// accumulators. It is assembly because Go does not vectorize: FMLA by element.
//
//go:noescape
func kernel8x8NEON(k int, a, b, c []float32, ldc int, beta float32)

var neon = &impl{
	name: "neon",
	mr:   8, nr: 8,
	mc: 128, kc: 256, nc: 2048,
	kernel: kernel8x8NEON,
}

func archImpls() []*impl {
	if hasNEON {
		return []*impl{neon}
	}
	return nil
}
