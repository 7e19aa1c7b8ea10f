//go:build !purego

package noise

import "golang.org/x/sys/cpu"

//go:generate go run -C _asm . -out ../noise_amd64.s

// haveFast says whether normalFast runs here: normalInvZMM needs AVX-512 F
// and DQ (its 64-bit multiplies), and AVX2 (GODEBUG=cpu.avx512f=off or
// cpu.avx2=off turns it off, as they do every kernel of the project).
// Where it does, Filler draws normals by inversion, elsewhere by the
// ziggurat.
var haveFast = cpu.X86.HasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ

// normalFast writes normalInv's values for the block with state kb into d,
// sixteen at a time, and returns how many it wrote (normalInvZMM).
func normalFast(d []float32, kb uint64, scale float32) int { return normalInvZMM(d, kb, scale) }

//go:noescape
func normalInvZMM(d []float32, x uint64, scale float32) int
