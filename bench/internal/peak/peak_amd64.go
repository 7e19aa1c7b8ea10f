//go:build !purego

package peak

import "golang.org/x/sys/cpu"

// Available reports whether FMA can run here: AVX2 and FMA, the ISA of
// untied's amd64 kernels.
var Available = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// FMA runs n iterations of twelve independent ymm FMA chains, enough to
// cover the FMA units' latency, with no memory access: the most a core
// can do with untied's kernels' instructions. It is hand-written rather
// than generated with avo like the kernels: one instruction, repeated.
//
//go:noescape
func FMA(n int)
