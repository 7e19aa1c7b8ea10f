//go:build !purego

package peak

import "golang.org/x/sys/cpu"

// FMA runs n iterations of twelve independent ymm FMA chains, enough to
// cover the FMA units' latency, with no memory access: the most a core
// can do with untied's AVX2 kernels' instructions. It is hand-written
// rather than generated with avo like the kernels: one instruction,
// repeated.
//
//go:noescape
func FMA(n int)

// FMA512 is FMA on sixteen zmm chains: the peak of the AVX-512 kernels.
// On cores that split a 512-bit FMA in two (AMD Zen 4) it equals FMA's;
// on cores with two 512-bit FMA units (Intel Xeon since Skylake-SP) it is
// twice it.
//
//go:noescape
func FMA512(n int)

var loops = func() []Loop {
	var l []Loop
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		l = append(l, Loop{"avx2-fma", 12 * 8 * 2, FMA})
	}
	if cpu.X86.HasAVX512F {
		l = append(l, Loop{"avx512-fma", 16 * 16 * 2, FMA512})
	}
	return l
}()
