package nn

import (
	"math"

	"github.com/untied-ml/untied/core/gemm"
)

// elemGrain is the fewest elements worth handing to another goroutine.
const elemGrain = 1 << 14

// The elementwise loops of the layers.
const (
	opRelu     = iota // dst = max(a, 0)
	opReluGrad        // dst = a where b > 0, else 0
	opAdd             // dst = a + b
	opAddRelu         // dst = max(a + b, 0)
)

// elemLoop is one elementwise loop over equal-length slices. Each layer
// keeps its own and passes it by pointer to gemm.Parallel, so the loops
// allocate nothing; each element is written by one goroutine, so the
// result does not depend on the thread count.
type elemLoop struct {
	op        int
	dst, a, b []float32
}

// run sets dst from a and b by op, in parallel.
func (l *elemLoop) run(op int, dst, a, b []float32) {
	*l = elemLoop{op: op, dst: dst, a: a[:len(dst)]}
	if b != nil {
		l.b = b[:len(dst)]
	}
	gemm.Parallel(len(dst), elemGrain, l)
	*l = elemLoop{} // drop references to the tensors
}

// Range runs elements [i0, i1).
func (l *elemLoop) Range(i0, i1 int) {
	dst, a := l.dst[i0:i1], l.a[i0:i1]
	var b []float32
	if l.b != nil {
		b = l.b[i0:i1]
	}
	switch l.op {
	case opRelu:
		reluInto(dst, a)
	case opReluGrad:
		reluGrad(dst, a, b)
	case opAdd:
		b = b[:len(dst)]
		for i, v := range a {
			dst[i] = v + b[i]
		}
	case opAddRelu:
		b = b[:len(dst)]
		for i, v := range a {
			dst[i] = max(v+b[i], 0)
		}
	}
}

func reluInto(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = max(v, 0)
	}
}

// reluGrad sets dst = dy where y > 0, else 0. It selects with a bit mask
// rather than a branch: the signs of y are random, and a mispredicted
// branch per element made this loop six times slower.
func reluGrad(dst, dy, y []float32) {
	dy, y = dy[:len(dst)], y[:len(dst)]
	for i, v := range dy {
		// y > 0 exactly when its bits t+1 lie in (0, +Inf's bits]: t is in
		// [0, 0x7f800000), which makes the sign of (t−0x7f800000) &^ t set
		// (zeros, negatives and NaNs fall outside).
		t := int64(math.Float32bits(y[i])) - 1
		m := uint32(((t - 0x7f800000) &^ t) >> 63)
		dst[i] = math.Float32frombits(math.Float32bits(v) & m)
	}
}
