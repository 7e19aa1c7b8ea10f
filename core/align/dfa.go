package align

import (
	"fmt"
	"math/rand/v2"

	"github.com/untied-ml/untied/core/gemm"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

// dfaStream is the PCG stream of layer 0's projection; layer i uses
// dfaStream+i, so each projection depends only on the seed, the layer's
// index and its shape, never on the order in which layers first ask for it.
const dfaStream = 0x646661 << 32 // "dfa"

// BeforeBackward is called between the loss and the backward pass of the
// step Before opened, with the network's output error e = dL/dlogits ([N,
// classes]); it implements train.BeforeBackwardRule. Direct feedback
// alignment keeps e, which its transports project to every layer; the
// rules with a Filter(x, D) call prepare it now, so the layers' backward
// pass can compute it (see Rule.early).
func (r *Rule) BeforeBackward(e *tensor.Tensor) {
	if !r.spec.Direct {
		r.early()
		return
	}
	if len(e.Shape) != 2 {
		panic(fmt.Sprintf("align: dfa: output error shape %v, want [N, classes]", e.Shape))
	}
	r.outErr = tensor.Ensure(r.outErr, e.Shape...)
	copy(r.outErr.Data, e.Data[:e.Len()])
	r.outErrNow = true
}

// Projection returns D of untied layer i under dfa: [classes, input size
// per sample], the fixed matrix that sends the output error to the layer's
// input. It is the rule's own, nil before the layer's first backward pass
// and for other rules.
func (r *Rule) Projection(i int) *tensor.Tensor { return r.layers[i].proj }

// direct returns layer l's transport under dfa: dx[n, :] = e[n, :]·D,
// shaped like the layer's input.
func (r *Rule) direct(l *layer) nn.Transport {
	return func(dy, out *tensor.Tensor) *tensor.Tensor {
		if !r.outErrNow {
			panic("align: dfa: a layer's backward pass ran before this step's BeforeBackward (use train.Trainer, or call Before and BeforeBackward around the forward pass)")
		}
		x, e := l.u.Input(), r.outErr
		n := x.Shape[0]
		if e.Shape[0] != n || dy.Shape[0] != n {
			panic(fmt.Sprintf("align: dfa: output error of %d samples for a layer batch of %d", e.Shape[0], n))
		}
		classes, size := e.Shape[1], x.Len()/n
		d := l.projection(r.seed, classes, size)
		out = tensor.Ensure(out, x.Shape...)
		gemm.Sgemm(false, false, n, size, classes, 1, e.Data, classes, d.Data, size, 0, out.Data, size)
		return out
	}
}

// projection returns the layer's D of shape [classes, size], drawing it on
// first use (and again, from the same stream, if the shape changes):
// entries i.i.d. N(0, σ²), σ the layer's InitStd, B's scale.
func (l *layer) projection(seed uint64, classes, size int) *tensor.Tensor {
	if l.proj != nil && l.proj.SameShape(classes, size) {
		return l.proj
	}
	rng := rand.New(rand.NewPCG(seed, dfaStream+uint64(l.index)))
	l.proj = tensor.New(classes, size)
	for j := range l.proj.Data {
		l.proj.Data[j] = float32(rng.NormFloat64() * l.std)
	}
	return l.proj
}
