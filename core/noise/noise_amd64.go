//go:build !purego

package noise

import "golang.org/x/sys/cpu"

//go:generate go run -C _asm . -out ../noise_amd64.s

// haveFast says whether normalFast runs here: normalZMM needs AVX-512 F,
// DQ (its 64-bit multiplies) and VL (its 8-lane compares and stores), and
// AVX2 (GODEBUG=cpu.avx512f=off or cpu.avx2=off turns it off, as they do
// every kernel of the project).
var haveFast = cpu.X86.HasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL

// normalFast draws the fast-path values of normal from state x into d,
// eight at a time, and returns how many it wrote (normalZMM).
func normalFast(d []float32, x uint64, w *[zigN]float32) int { return normalZMM(d, x, w, &zigK) }

//go:noescape
func normalZMM(d []float32, x uint64, w *[256]float32, k *[256]uint32) int
