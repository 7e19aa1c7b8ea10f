//go:build !purego

package vec

import "golang.org/x/sys/cpu"

//go:generate go run -C _asm . -out ../vec_amd64.s

// avx2 is the assembly (vec_amd64.s). Its instructions are all AVX
// (256-bit float arithmetic and conversions), but it is gated on AVX2 like
// the rest of untied's amd64 code, so that one switch
// (GODEBUG=cpu.avx2=off) turns every kernel off. It uses no FMA, so it does
// not ask for it.
var avx2 = &impl{
	name:        "avx2",
	shiftedSums: shiftedSumsAVX2,
	dotHat:      dotHatAVX2,
	normalize:   normalizeAVX2,
	normGrad:    normGradAVX2,
	relu:        reluAVX2,
	reluGrad:    reluGradAVX2,
	add:         addAVX2,
	addRelu:     addReluAVX2,
	sumSq:       sumSqAVX2,
	scaleSumSq:  scaleSumSqAVX2,
	dots:        dotsAVX2,
	axpbyDots:   axpbyDotsAVX2,
}

func archImpls() []*impl {
	if cpu.X86.HasAVX2 {
		return []*impl{avx2}
	}
	return nil
}

// The assembly (vec_amd64.s) works on whole blocks, sumBlock elements for
// the sums and lanes for the elementwise passes, and reads only as far as
// the first slice's length.

//go:noescape
func shiftedSumsAVX2(x []float32, k float64) (s, ss float64)

//go:noescape
func dotHatAVX2(dy, x []float32, mu, is float32) (sdy, sdyx float64)

//go:noescape
func normalizeAVX2(dst, x []float32, mu, is, gamma, beta float32)

//go:noescape
func normGradAVX2(dst, dy, x []float32, mu, is, scale, mdy, mdyx float32)

//go:noescape
func reluAVX2(dst, x []float32)

//go:noescape
func reluGradAVX2(dst, dy, y []float32)

//go:noescape
func addAVX2(dst, a, b []float32)

//go:noescape
func addReluAVX2(dst, a, b []float32)

//go:noescape
func sumSqAVX2(x []float32) float64

//go:noescape
func scaleSumSqAVX2(dst, x []float32, a float32) float64

//go:noescape
func dotsAVX2(u, v []float32) (uu, uv, vv float64)

//go:noescape
func axpbyDotsAVX2(dst, u, v []float32, a, b float32) (uu, uv, vv float64)
