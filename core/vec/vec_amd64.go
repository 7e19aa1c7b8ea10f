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

	normalizePlanes: normalizePlanesAVX2,
	normGradPlanes:  normGradPlanesAVX2,

	normalizeAddReluPlanes: normalizeAddReluPlanesAVX2,
	relu:                   reluAVX2,
	reluGrad:               reluGradAVX2,
	add:                    addAVX2,
	addRelu:                addReluAVX2,
	sumSq:                  sumSqAVX2,
	scaleSumSq:             scaleSumSqAVX2,
	dots:                   dotsAVX2,
	axpbyDots:              axpbyDotsAVX2,
	padRows:                padRowsGeneric,
	gather16:               gather16Generic,
	deal2:                  deal2Generic,
	addStride2:             addStride2Generic,
	maxPool3s2:             maxPool3s2Generic,
}

// avx512 is avx2 with the loops that gain from AVX-512's masks and
// 16-lane permutes: PadRows, whose short rows are a piece or two of 16
// values under masks, Gather16, a plane a permute or a gather, Deal2
// and AddStride2, a row a permute or two, and MaxPool3s2, sixteen windows
// a step.
var avx512 = func() *impl {
	im := *avx2
	im.name = "avx512"
	im.padRows = padRowsAVX512
	im.gather16 = gather16AVX512
	im.deal2 = deal2AVX512
	im.addStride2 = addStride2AVX512
	im.maxPool3s2 = maxPool3s2AVX512
	return &im
}()

func archImpls() []*impl {
	switch {
	case cpu.X86.HasAVX2 && cpu.X86.HasAVX512F:
		return []*impl{avx2, avx512}
	case cpu.X86.HasAVX2:
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
func normalizePlanesAVX2(dst, x []float32, hw int, mu, is, gamma, beta []float32)

//go:noescape
func normGradPlanesAVX2(dst, dy, x []float32, hw int, mu, is, scale, mdy, mdyx []float32)

//go:noescape
func normalizeAddReluPlanesAVX2(dst, x, s []float32, hw int, mu, is, gamma, beta []float32)

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

// padChunks is the widest row padRowsZMM takes, in pieces of 16 values
// (256 values: ImageNet's 224 with its padding is 15 pieces); wider rows go
// through the Go loop.
const padChunks = 16

// padRowsAVX512 builds padRowsZMM's masks, two per 16-value piece of a row
// of dst: the lanes loaded from the run and the lanes stored.
func padRowsAVX512(dst []float32, ds int, src []float32, ss, rows, lead, width int) {
	pieces := (ds + 15) / 16
	if pieces > padChunks || width == 0 {
		padRowsGeneric(dst, ds, src, ss, rows, lead, width)
		return
	}
	var masks [2 * padChunks]uint16
	for c := range pieces {
		lo := 16 * c
		if a, b := max(lead-lo, 0), min(lead+width-lo, 16); b > a {
			masks[2*c] = uint16((1<<(b-a) - 1) << a)
		}
		masks[2*c+1] = uint16(1<<min(ds-lo, 16) - 1)
	}
	padRowsZMM(dst, ds, src, ss, rows, lead, masks[:2*pieces])
}

//go:noescape
func padRowsZMM(dst []float32, ds int, src []float32, ss, rows, lead int, masks []uint16)

// gather16AVX512 runs shuffle16ZMM (planes of up to 16 values) or
// gather16ZMM with their masks: the plane's values loaded, the lanes idx
// reads (the others zero) and the p lanes stored.
func gather16AVX512(dst []float32, p int, src []float32, stride, n int, idx *[16]int32, hw int) {
	var valid uint16
	for t, k := range idx[:p] {
		if k >= 0 {
			valid |= 1 << t
		}
	}
	switch {
	case valid == 0:
		clear(dst[:n*p])
	case hw <= 16:
		shuffle16ZMM(dst, p, src, stride, n, idx, uint16(1<<hw-1), valid, uint16(1<<p-1))
	default:
		gather16ZMM(dst, p, src, stride, n, idx, 0, valid, uint16(1<<p-1))
	}
}

//go:noescape
func shuffle16ZMM(dst []float32, p int, src []float32, stride, n int, idx *[16]int32, load, valid, store uint16)

//go:noescape
func gather16ZMM(dst []float32, p int, src []float32, stride, n int, idx *[16]int32, load, valid, store uint16)

// deal2AVX512 runs deal2ZMM on rows of up to 32 values, with its masks:
// the row's two 16-value halves loaded, the even and odd values stored.
func deal2AVX512(even, odd []float32, ds int, src []float32, ss, rows, width int) {
	if width > 32 {
		deal2Generic(even, odd, ds, src, ss, rows, width)
		return
	}
	lo, hi := uint16(1<<min(width, 16)-1), uint16(1<<max(width-16, 0)-1)
	se, so := uint16(1<<((width+1)/2)-1), uint16(1<<(width/2)-1)
	if odd == nil {
		odd, so = even, 0 // nothing stored
	}
	deal2ZMM(even, odd, ds, src, ss, rows, lo, hi, se, so)
}

//go:noescape
func deal2ZMM(even, odd []float32, ds int, src []float32, ss, rows int, lo, hi, se, so uint16)

// addStride2AVX512 runs addStride2ZMM on runs of up to 16 values, with its
// masks: the run loaded, and the even lanes of dst's two 16-value pieces
// that it adds to.
func addStride2AVX512(dst []float32, ds int, src []float32, ss, rows, n int) {
	if n > 16 {
		addStride2Generic(dst, ds, src, ss, rows, n)
		return
	}
	even := uint32(0x55555555) & (1<<(2*n-1) - 1) // lanes 2j, j < n, of the row's 32
	addStride2ZMM(dst, ds, src, ss, rows, uint16(1<<n-1), uint16(even), uint16(even>>16))
}

//go:noescape
func addStride2ZMM(dst []float32, ds int, src []float32, ss, rows int, load, m0, m1 uint16)

// maxPool3s2AVX512 runs maxPool3s2ZMM on the windows in whole steps of
// sixteen and the Go loop on the rest.
func maxPool3s2AVX512(dst []float32, arg []int32, src []float32, w, at, n int) {
	steps := n / 16
	if steps > 0 {
		maxPool3s2ZMM(dst, arg, src, w, at, steps)
	}
	done := 16 * steps
	maxPool3s2Generic(dst[done:], arg[done:], src, w, at+2*done, n-done)
}

//go:noescape
func maxPool3s2ZMM(dst []float32, arg []int32, src []float32, w, at, steps int)
