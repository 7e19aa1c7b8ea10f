//go:build !purego

package vec

import "golang.org/x/sys/cpu"

//go:generate go run -C _asm . -out ../vec_amd64.s

// useAVX2 selects the assembly; GODEBUG=cpu.avx2=off turns it off from
// outside. Its instructions are all AVX (256-bit float arithmetic and
// conversions), but it is gated on AVX2 like the rest of untied's amd64
// code, so that one switch turns every kernel off. It uses no FMA, so it
// does not ask for it.
var useAVX2 = cpu.X86.HasAVX2

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

func shiftedSumsBlocks(x []float32, k float64) (s, ss float64) {
	if useAVX2 {
		return shiftedSumsAVX2(x, k)
	}
	return shiftedSumsGeneric(x, k)
}

func dotHatBlocks(dy, x []float32, mu, is float32) (sdy, sdyx float64) {
	if useAVX2 {
		return dotHatAVX2(dy, x, mu, is)
	}
	return dotHatGeneric(dy, x, mu, is)
}

func normalizeBlocks(dst, x []float32, mu, is, g, b float32) {
	if useAVX2 {
		normalizeAVX2(dst, x, mu, is, g, b)
		return
	}
	normalizeGeneric(dst, x, mu, is, g, b)
}

func normGradBlocks(dst, dy, x []float32, mu, is, scale, mdy, mdyx float32) {
	if useAVX2 {
		normGradAVX2(dst, dy, x, mu, is, scale, mdy, mdyx)
		return
	}
	normGradGeneric(dst, dy, x, mu, is, scale, mdy, mdyx)
}

//go:noescape
func reluAVX2(dst, x []float32)

//go:noescape
func reluGradAVX2(dst, dy, y []float32)

//go:noescape
func addAVX2(dst, a, b []float32)

//go:noescape
func addReluAVX2(dst, a, b []float32)

func reluBlocks(dst, x []float32) {
	if useAVX2 {
		reluAVX2(dst, x)
		return
	}
	reluGeneric(dst, x)
}

func reluGradBlocks(dst, dy, y []float32) {
	if useAVX2 {
		reluGradAVX2(dst, dy, y)
		return
	}
	reluGradGeneric(dst, dy, y)
}

func addBlocks(dst, a, b []float32) {
	if useAVX2 {
		addAVX2(dst, a, b)
		return
	}
	addGeneric(dst, a, b)
}

func addReluBlocks(dst, a, b []float32) {
	if useAVX2 {
		addReluAVX2(dst, a, b)
		return
	}
	addReluGeneric(dst, a, b)
}

//go:noescape
func sumSqAVX2(x []float32) float64

//go:noescape
func scaleSumSqAVX2(dst, x []float32, a float32) float64

//go:noescape
func dotsAVX2(u, v []float32) (uu, uv, vv float64)

//go:noescape
func axpbyDotsAVX2(dst, u, v []float32, a, b float32) (uu, uv, vv float64)

func sumSqBlocks(x []float32) float64 {
	if useAVX2 {
		return sumSqAVX2(x)
	}
	return sumSqGeneric(x)
}

func scaleSumSqBlocks(dst, x []float32, a float32) float64 {
	if useAVX2 {
		return scaleSumSqAVX2(dst, x, a)
	}
	return scaleSumSqGeneric(dst, x, a)
}

func dotsBlocks(u, v []float32) (uu, uv, vv float64) {
	if useAVX2 {
		return dotsAVX2(u, v)
	}
	return dotsGeneric(u, v)
}

func axpbyDotsBlocks(dst, u, v []float32, a, b float32) (uu, uv, vv float64) {
	if useAVX2 {
		return axpbyDotsAVX2(dst, u, v, a, b)
	}
	return axpbyDotsGeneric(dst, u, v, a, b)
}
