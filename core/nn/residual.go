package nn

import "github.com/untied-ml/untied/core/tensor"

// Residual is a residual block: y = act(Branch(h) + Shortcut(h or x)) with
// h = Pre(x).
//
//   - v1 (post-activation): Pre nil, Shortcut a projection or nil
//     (identity), PostReLU true.
//   - v2 (pre-activation): Pre = BN+ReLU, PostReLU false; a projection
//     shortcut reads h, an identity shortcut (nil) reads x.
type Residual struct {
	Pre      Module // nil for none
	Branch   Module
	Shortcut Module // nil for identity
	PostReLU bool
	// FuseSum lets a post-activation block whose Branch ends in a
	// BatchNorm without ReLU have that BatchNorm write the block's output,
	// max(its output + shortcut, 0), in the pass that normalises
	// (sumBatchNorm): the branch's output is never stored nor read again.
	// The shortcut then runs first. The same bits; model.New sets it.
	FuseSum bool
	// OwnShortcutGrad says the shortcut's Backward returns its input
	// gradient in storage of its own, which the branch's Backward does not
	// write (model.New gives a projection's conv no GradArena): Backward
	// then adds the branch's gradient into it in place. Otherwise the
	// branch's goes to a buffer of the block's first, as the shortcut's
	// pass may write where it lies. The same bits either way.
	OwnShortcutGrad bool

	out, dsum, dx *tensor.Tensor
	sDense        *tensor.Tensor // a shortcut output on a grid, copied for a fused sum
	loop          elemLoop
}

// sumBatchNorm returns the BatchNorm that writes the block's output in
// its own pass (FuseSum), or nil.
func (r *Residual) sumBatchNorm() *BatchNorm {
	if !r.FuseSum || !r.PostReLU || r.Pre != nil {
		return nil
	}
	bn, ok := LastLayer(r.Branch).(*BatchNorm)
	if !ok || bn.ReLU || bn.GridFor != nil {
		return nil
	}
	return bn
}

// sumsInPlace reports whether Backward may keep the masked gradient in
// r.dx, where the block's input gradient is then summed in place (dx = dh +
// it): an identity shortcut and no Pre, and a Branch ending in a
// BatchNorm, which does not keep the gradient it receives (an untied layer
// keeps it, OutputGrad, for the rules to read after). It spares a buffer of
// the block's output size and a pass's worth of fresh memory.
func (r *Residual) sumsInPlace() bool {
	if r.Shortcut != nil || r.Pre != nil {
		return false
	}
	_, bn := LastLayer(r.Branch).(*BatchNorm)
	return bn
}

// Forward computes the block.
func (r *Residual) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	h := x
	if r.Pre != nil {
		h = r.Pre.Forward(x, train)
	}
	if bn := r.sumBatchNorm(); bn != nil {
		return r.forwardFused(bn, x, h, train)
	}
	b := r.Branch.Forward(h, train)
	s := x
	if r.Shortcut != nil {
		s = r.Shortcut.Forward(h, train)
	}
	r.out = tensor.Ensure(r.out, b.Shape...)
	if s.Len() != b.Len() {
		panic("nn: residual branch and shortcut shapes differ")
	}
	op := opAdd
	if r.PostReLU {
		op = opAddRelu
	}
	r.loop.run(op, r.out.Data, b.Data, s.Data)
	return r.out
}

// forwardFused is Forward with the sum and ReLU in the pass of bn, the
// branch's last layer: the shortcut first, then the branch, whose
// BatchNorm writes r.out.
func (r *Residual) forwardFused(bn *BatchNorm, x, h *tensor.Tensor, train bool) *tensor.Tensor {
	s := x
	if r.Shortcut != nil {
		s = r.Shortcut.Forward(h, train)
	}
	if s.Grid != nil {
		r.sDense = s.Dense(r.sDense)
		s = r.sDense
	}
	r.out = tensor.Ensure(r.out, s.Shape...)
	bn.sumWith, bn.sumOut = s, r.out
	defer func() { bn.sumWith, bn.sumOut = nil, nil }()
	if b := r.Branch.Forward(h, train); b != r.out {
		panic("nn: residual branch's last BatchNorm did not write the block's sum")
	}
	return r.out
}

// Backward sends the gradient down both paths and sums it where they meet.
func (r *Residual) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if r.PostReLU {
		buf := &r.dsum
		if r.sumsInPlace() {
			buf = &r.dx
		}
		*buf = tensor.Ensure(*buf, dy.Shape...)
		r.loop.run(opReluGrad, (*buf).Data, dy.Data, r.out.Data)
		dy = *buf
	}
	dh := r.Branch.Backward(dy)
	switch {
	case r.Shortcut != nil && r.OwnShortcutGrad:
		ds := r.Shortcut.Backward(dy)
		if ds.Grid != nil || dh.Grid != nil || ds.Len() != dh.Len() {
			panic("nn: residual branch and shortcut gradients differ in layout")
		}
		if ds.Len() > 0 && &ds.Data[0] == &dh.Data[0] {
			// The shortcut wrote where the branch's gradient lay: it does
			// not own its storage (a GradArena shared with the branch).
			panic("nn: Residual.OwnShortcutGrad set, but the shortcut's input gradient is the branch's storage")
		}
		r.loop.run(opAdd, ds.Data, ds.Data, dh.Data)
		dh = ds
	case r.Shortcut != nil:
		// dh goes to r.dx before the shortcut's pass, which may write
		// its gradient where dh lies (convs sharing a GradArena).
		r.dx = tensor.Ensure(r.dx, dh.Shape...)
		copy(r.dx.Data, dh.Data[:dh.Len()])
		ds := r.Shortcut.Backward(dy)
		r.loop.run(opAdd, r.dx.Data, r.dx.Data, ds.Data)
		dh = r.dx
	}
	if r.Pre == nil {
		if r.Shortcut == nil {
			r.dx = r.sumInto(r.dx, dh, dy)
			return r.dx
		}
		return dh
	}
	dx := r.Pre.Backward(dh)
	if r.Shortcut == nil {
		r.dx = r.sumInto(r.dx, dx, dy)
		return r.dx
	}
	return dx
}

// sumInto returns a + b in dst's storage; dst may alias a or b.
func (r *Residual) sumInto(dst, a, b *tensor.Tensor) *tensor.Tensor {
	if dst != a {
		dst = tensor.Ensure(dst, a.Shape...)
	}
	r.loop.run(opAdd, dst.Data, a.Data, b.Data)
	return dst
}

// Params returns the parameters of Pre, Branch and Shortcut.
func (r *Residual) Params() []*Param { return collectParams(r.Pre, r.Branch, r.Shortcut) }

// Children returns Pre, Branch and Shortcut (nil entries skipped by Walk).
func (r *Residual) Children() []Module { return []Module{r.Pre, r.Branch, r.Shortcut} }
