package vec

import (
	"fmt"
	"math"
)

// OrderKey maps a float to an integer that orders as the floats do, -0 and
// +0 alike (the sign-magnitude bits turned two's complement), so that a
// maximum can be taken by integer compares under masks rather than by a
// branch on the data, which mispredicts on about half the candidates.
func OrderKey(v float32) int64 {
	b := int32(math.Float32bits(v))
	m := b >> 31 // all ones for a negative float
	return int64((b ^ (m & math.MaxInt32)) - m)
}

// KeepMax returns (key, i) if key > best, else (best, at), by masks.
func KeepMax(best, at, key, i int64) (int64, int64) {
	more := (best - key) >> 63 // all ones where key > best
	return best ^ (best^key)&more, at ^ (at^i)&more
}

// MaxPool3s2 takes n maxima over 3×3 windows at stride 2 along a row of a
// plane of width w: window j covers src[at + 2j + r·w + c] for r, c < 3,
// and dst[j], arg[j] are its maximum and that value's index in src, the
// first in row-major order winning among equal maxima, -0 equal to +0
// (OrderKey; on data without NaN, the same as comparing the floats). It is
// the inside of an ImageNet ResNet's stem pool (core/nn); under AVX-512 it
// takes sixteen windows at a time.
func MaxPool3s2(dst []float32, arg []int32, src []float32, w, at, n int) {
	if n <= 0 {
		return
	}
	switch {
	case w < 3 || at < 0:
		panic(fmt.Sprintf("vec: MaxPool3s2: width %d, start %d", w, at))
	case len(dst) < n || len(arg) < n:
		panic(fmt.Sprintf("vec: MaxPool3s2: %d windows into %d maxima and %d indices", n, len(dst), len(arg)))
	case at+2*(n-1)+2+2*w >= len(src):
		panic(fmt.Sprintf("vec: MaxPool3s2: %d windows from %d at width %d overrun src's %d values", n, at, w, len(src)))
	}
	best.maxPool3s2(dst, arg, src, w, at, n)
}

// maxPool3s2Generic is MaxPool3s2 once its arguments are checked.
func maxPool3s2Generic(dst []float32, arg []int32, src []float32, w, at, n int) {
	for j := range n {
		first := int64(at + 2*j)
		top, i := OrderKey(src[first]), first
		for r := range 3 {
			for c := range 3 {
				if r == 0 && c == 0 {
					continue
				}
				k := first + int64(r*w+c)
				top, i = KeepMax(top, i, OrderKey(src[k]), k)
			}
		}
		dst[j], arg[j] = src[i], int32(i)
	}
}
