package nn

import (
	"github.com/untied-ml/untied/core/sched"
	"github.com/untied-ml/untied/core/vec"
)

// elemGrain is the fewest elements worth handing to another goroutine.
const elemGrain = 1 << 14

// The elementwise loops of the layers.
const (
	opRelu     = iota // dst = max(a, 0)
	opReluGrad        // dst = a where b > 0, else +0
	opAdd             // dst = a + b
	opAddRelu         // dst = max(a + b, 0)
)

// elemLoop is one elementwise loop over equal-length slices. Each layer
// keeps its own and passes it by pointer to sched.Parallel, so the loops
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
	sched.Parallel(len(dst), elemGrain, l)
	*l = elemLoop{} // drop references to the tensors
}

// Range runs elements [i0, i1), with core/vec's loops (AVX2 on amd64).
func (l *elemLoop) Range(i0, i1 int) {
	dst, a := l.dst[i0:i1], l.a[i0:i1]
	switch l.op {
	case opRelu:
		vec.Relu(dst, a)
	case opReluGrad:
		vec.ReluGrad(dst, a, l.b[i0:i1])
	case opAdd:
		vec.Add(dst, a, l.b[i0:i1])
	case opAddRelu:
		vec.AddRelu(dst, a, l.b[i0:i1])
	}
}
