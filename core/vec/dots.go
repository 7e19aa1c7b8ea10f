package vec

import "fmt"

// The sums of squares and products of core/align's pass over activations,
// alone or with the scaled sum that the pass writes beside them. The sums
// are in float64, in sixteen lanes as ShiftedSums (a product of two float32
// is exact in float64, so only the additions round). dst is written after
// the inputs are read, so it may be one of them, but it must not otherwise
// overlap them; all the slices must have the same length.

// SumSq returns Σ x² in float64.
func SumSq(x []float32) float64 {
	n := len(x) &^ (sumBlock - 1)
	var q float64
	if n > 0 {
		q = best.sumSq(x[:n])
	}
	return sumSqTail(q, x[n:])
}

// ScaleSumSq sets dst[i] = a·x[i] in float32 and returns Σ x² in float64,
// of x as it was before dst was written.
func ScaleSumSq(dst, x []float32, a float32) float64 {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("vec: ScaleSumSq: len(dst) = %d, len(x) = %d", len(dst), len(x)))
	}
	n := len(x) &^ (sumBlock - 1)
	var q float64
	if n > 0 {
		q = best.scaleSumSq(dst[:n], x[:n], a)
	}
	q = sumSqTail(q, x[n:]) // before dst is written: it may be x
	scaleGeneric(dst[n:], x[n:], a)
	return q
}

// Dots returns Σ u², Σ u·v and Σ v² in float64.
func Dots(u, v []float32) (uu, uv, vv float64) {
	if len(u) != len(v) {
		panic(fmt.Sprintf("vec: Dots: len(u) = %d, len(v) = %d", len(u), len(v)))
	}
	n := len(u) &^ (sumBlock - 1)
	if n > 0 {
		uu, uv, vv = best.dots(u[:n], v[:n])
	}
	return dotsTail(uu, uv, vv, u[n:], v[n:])
}

// AxpbyDots sets dst[i] = a·u[i] + b·v[i] in float32, each product
// rounded before the sum (no FMA on any architecture), and returns Dots(u,
// v) of the inputs as they were before dst was written.
func AxpbyDots(dst, u, v []float32, a, b float32) (uu, uv, vv float64) {
	if len(dst) != len(u) || len(u) != len(v) {
		panic(fmt.Sprintf("vec: AxpbyDots: len(dst) = %d, len(u) = %d, len(v) = %d", len(dst), len(u), len(v)))
	}
	n := len(u) &^ (sumBlock - 1)
	if n > 0 {
		uu, uv, vv = best.axpbyDots(dst[:n], u[:n], v[:n], a, b)
	}
	uu, uv, vv = dotsTail(uu, uv, vv, u[n:], v[n:]) // before dst is written: it may be u or v
	axpbyGeneric(dst[n:], u[n:], v[n:], a, b)
	return uu, uv, vv
}

// sumSqTail adds Σ x² over the elements past the last whole block to q,
// one by one.
func sumSqTail(q float64, x []float32) float64 {
	for _, v := range x {
		q += float64(float64(v) * float64(v))
	}
	return q
}

// dotsTail adds Dots's three sums over the elements past the last whole
// block, one by one.
func dotsTail(uu, uv, vv float64, u, v []float32) (float64, float64, float64) {
	v = v[:len(u)]
	for i, x := range u {
		x, y := float64(x), float64(v[i])
		uu += float64(x * x)
		uv += float64(x * y)
		vv += float64(y * y)
	}
	return uu, uv, vv
}
