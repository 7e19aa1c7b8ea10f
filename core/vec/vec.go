package vec

import "fmt"

// sumBlock is the number of elements per step of the sums: sixteen
// float64 lanes, four ymm registers of four on amd64. ShiftedSums and
// DotHat hand whole blocks to the block loop and add the rest in Go.
const sumBlock = 16

// lanes is the number of float32 per step of the elementwise passes (one
// ymm register); Normalize and NormGrad compute the rest in Go.
const lanes = 8

// ShiftedSums returns Σ (x − k) and Σ (x − k)² in float64, the sums from
// which a mean and a variance are computed in one pass: shifting by a
// value near the mean (k) keeps Σ (x − k)² from cancelling.
func ShiftedSums(x []float32, k float64) (s, ss float64) {
	n := len(x) &^ (sumBlock - 1)
	if n > 0 {
		s, ss = best.shiftedSums(x[:n], k)
	}
	for _, v := range x[n:] {
		d := float64(v) - k
		s += d
		ss += float64(d * d)
	}
	return s, ss
}

// Normalize sets dst[i] = g·x̂ + b with x̂ = (x[i] − mu)·is in float32:
// BatchNorm's forward pass, mu the mean and is the inverse standard
// deviation. dst and x must have the same length.
func Normalize(dst, x []float32, mu, is, g, b float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("vec: Normalize: len(dst) = %d, len(x) = %d", len(dst), len(x)))
	}
	n := len(x) &^ (lanes - 1)
	if n > 0 {
		best.normalize(dst[:n], x[:n], mu, is, g, b)
	}
	normalizeGeneric(dst[n:], x[n:], mu, is, g, b)
}

// DotHat returns Σ dy and Σ dy·x̂ in float64, with x̂ = (x − mu)·is in
// float32 as Normalize computes it: the sums of BatchNorm's backward pass.
// dy and x must have the same length.
func DotHat(dy, x []float32, mu, is float32) (sdy, sdyx float64) {
	if len(dy) != len(x) {
		panic(fmt.Sprintf("vec: DotHat: len(dy) = %d, len(x) = %d", len(dy), len(x)))
	}
	n := len(dy) &^ (sumBlock - 1)
	if n > 0 {
		sdy, sdyx = best.dotHat(dy[:n], x[:n], mu, is)
	}
	for i, a := range dy[n:] {
		sdy += float64(a)
		sdyx += float64(float64(a) * float64((x[n+i]-mu)*is))
	}
	return sdy, sdyx
}

// NormGrad sets dst[i] = scale·(dy[i] − mdy − x̂·mdyx) with
// x̂ = (x[i] − mu)·is in float32 as Normalize computes it: BatchNorm's
// input gradient, mdy and mdyx the means of dy and dy·x̂. dst, dy and x
// must have the same length.
func NormGrad(dst, dy, x []float32, mu, is, scale, mdy, mdyx float32) {
	if len(dst) != len(dy) || len(dy) != len(x) {
		panic(fmt.Sprintf("vec: NormGrad: len(dst) = %d, len(dy) = %d, len(x) = %d", len(dst), len(dy), len(x)))
	}
	n := len(x) &^ (lanes - 1)
	if n > 0 {
		best.normGrad(dst[:n], dy[:n], x[:n], mu, is, scale, mdy, mdyx)
	}
	normGradGeneric(dst[n:], dy[n:], x[n:], mu, is, scale, mdy, mdyx)
}

// NormalizePlanes is Normalize on len(mu) consecutive planes of hw values,
// plane p with mu[p], is[p], g[p] and b[p]: the same bits as a call a
// plane, in one (on small planes, 4×4 or 7×7, a call a plane costs more
// than its arithmetic). dst and x hold the planes; is, g and b have a
// value for each.
func NormalizePlanes(dst, x []float32, hw int, mu, is, g, b []float32) {
	n := len(mu)
	checkPlanes("NormalizePlanes", n, hw, [][]float32{dst, x}, [][]float32{is, g, b})
	if n > 0 && hw > 0 {
		best.normalizePlanes(dst[:n*hw], x[:n*hw], hw, mu, is[:n], g[:n], b[:n])
	}
}

// NormGradPlanes is NormGrad on len(mu) consecutive planes of hw values,
// plane p with mu[p], is[p], scale[p], mdy[p] and mdyx[p], the same bits
// as a call a plane.
func NormGradPlanes(dst, dy, x []float32, hw int, mu, is, scale, mdy, mdyx []float32) {
	n := len(mu)
	checkPlanes("NormGradPlanes", n, hw, [][]float32{dst, dy, x}, [][]float32{is, scale, mdy, mdyx})
	if n > 0 && hw > 0 {
		best.normGradPlanes(dst[:n*hw], dy[:n*hw], x[:n*hw], hw, mu, is[:n], scale[:n], mdy[:n], mdyx[:n])
	}
}

// NormalizeAddReluPlanes is NormalizePlanes followed by AddRelu(dst, dst,
// s), bit for bit, in one pass: a BatchNorm ending a residual branch, the
// block's sum with its shortcut s and the ReLU after it.
func NormalizeAddReluPlanes(dst, x, s []float32, hw int, mu, is, g, b []float32) {
	n := len(mu)
	checkPlanes("NormalizeAddReluPlanes", n, hw, [][]float32{dst, x, s}, [][]float32{is, g, b})
	if n > 0 && hw > 0 {
		best.normalizeAddReluPlanes(dst[:n*hw], x[:n*hw], s[:n*hw], hw, mu, is[:n], g[:n], b[:n])
	}
}

// checkPlanes panics unless every slice in data holds n planes of hw
// values and every one in params n values.
func checkPlanes(fn string, n, hw int, data, params [][]float32) {
	if hw < 0 {
		panic(fmt.Sprintf("vec: %s: negative plane size %d", fn, hw))
	}
	for _, d := range data {
		if len(d) < n*hw {
			panic(fmt.Sprintf("vec: %s: %d values for %d planes of %d", fn, len(d), n, hw))
		}
	}
	for _, p := range params {
		if len(p) < n {
			panic(fmt.Sprintf("vec: %s: %d parameters for %d planes", fn, len(p), n))
		}
	}
}

// The elementwise loops of the activations and residual sums. dst may be
// one of the inputs but must not otherwise overlap them; all the slices
// must have the same length.

// Relu sets dst[i] = max(x[i], 0) as Go's max computes it: +0 for −0 and
// negatives, and a NaN for a NaN.
func Relu(dst, x []float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("vec: Relu: len(dst) = %d, len(x) = %d", len(dst), len(x)))
	}
	n := len(x) &^ (lanes - 1)
	if n > 0 {
		best.relu(dst[:n], x[:n])
	}
	reluGeneric(dst[n:], x[n:])
}

// ReluGrad sets dst[i] = dy[i] where y[i] > 0, else +0: ReLU's input
// gradient, y its output. dy's bits pass unchanged, NaNs included; a NaN
// y counts as not positive.
func ReluGrad(dst, dy, y []float32) {
	if len(dst) != len(dy) || len(dy) != len(y) {
		panic(fmt.Sprintf("vec: ReluGrad: len(dst) = %d, len(dy) = %d, len(y) = %d", len(dst), len(dy), len(y)))
	}
	n := len(dy) &^ (lanes - 1)
	if n > 0 {
		best.reluGrad(dst[:n], dy[:n], y[:n])
	}
	reluGradGeneric(dst[n:], dy[n:], y[n:])
}

// Add sets dst[i] = a[i] + b[i].
func Add(dst, a, b []float32) {
	if len(dst) != len(a) || len(a) != len(b) {
		panic(fmt.Sprintf("vec: Add: len(dst) = %d, len(a) = %d, len(b) = %d", len(dst), len(a), len(b)))
	}
	n := len(a) &^ (lanes - 1)
	if n > 0 {
		best.add(dst[:n], a[:n], b[:n])
	}
	addGeneric(dst[n:], a[n:], b[n:])
}

// AddRelu sets dst[i] = max(a[i] + b[i], 0), the sum as Add computes it
// and the maximum as Relu.
func AddRelu(dst, a, b []float32) {
	if len(dst) != len(a) || len(a) != len(b) {
		panic(fmt.Sprintf("vec: AddRelu: len(dst) = %d, len(a) = %d, len(b) = %d", len(dst), len(a), len(b)))
	}
	n := len(a) &^ (lanes - 1)
	if n > 0 {
		best.addRelu(dst[:n], a[:n], b[:n])
	}
	addReluGeneric(dst[n:], a[n:], b[n:])
}
