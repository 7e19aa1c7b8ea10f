package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/untied-ml/untied/core/sched"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/core/vec"
)

// BatchNorm normalises each channel of an [N, C, ...] batch. In training it
// uses the batch's mean and (biased) variance and updates running
// statistics as r ← m·r + (1−m)·batch, with the unbiased variance; in
// evaluation it uses the running statistics.
type BatchNorm struct {
	Name        string
	C           int
	Momentum    float64 // 0.9
	Eps         float64 // 1e-5
	Gamma, Beta *Param
	RunMean     []float32
	RunVar      []float32
	// ReLU makes the layer a BatchNorm followed by a ReLU, bit for bit,
	// in one: max(·, 0) is applied to each run of the output while it is
	// in cache, and the gradient is masked by the output's sign as it is
	// read. It saves the separate ReLU's pass over the activations each
	// way and its two activation-sized buffers.
	ReLU bool
	// GridFor, when set, gives the layout in which the layer after this
	// one reads an input of a shape where it lies (Conv2D.InputGrid):
	// Forward then writes its output on that grid, zeros outside the
	// images, sparing that layer the copy. A nil result, or GridFor nil:
	// NCHW. The model builder sets it where this layer's output goes to
	// that layer alone.
	GridFor func(shape []int) *tensor.Grid
	// SumsFrom, when set, is the layer before, which may have gathered
	// this layer's statistics of its input as it wrote it (Conv2D's
	// GatherSums): training Forwards then skip their own pass over the
	// input for them. The sums are the same bits either way.
	SumsFrom interface {
		OutputSums(y *tensor.Tensor) []float64
	}
	// GradGridFor, when set, gives the layout in which the layer before
	// this one reads its output gradient where it lies
	// (Conv2D.OutputGradGrid): Backward then writes the input gradient
	// there, zeros outside the images. nil, or a nil result: NCHW.
	GradGridFor func(shape []int) *tensor.Grid
	// Out, when set, is where a layer without ReLU writes its output when
	// not on a grid: storage shared with other layers, for an output that
	// only the next layer reads and nothing keeps (the model builder sets
	// it where the output goes into a Residual's sum).
	Out *OutArena

	// sumWith and sumOut, set by a Residual around its branch's Forward
	// (Residual.FuseSum) on the branch's last layer, make Forward write
	// max(output + sumWith, 0), the block's output, into sumOut: the
	// block's sum and ReLU in the pass that normalises, the output itself
	// never stored. Dense, without ReLU, not on a grid.
	sumWith, sumOut *tensor.Tensor

	train   bool
	x       *tensor.Tensor // the last Forward's input, from which Backward recomputes x̂
	xDense  *tensor.Tensor // an input on a grid, copied to NCHW
	dyDense *tensor.Tensor // likewise an output gradient
	mean    []float32      // per channel, of the last Forward
	invStd  []float32
	out     *tensor.Tensor
	dx      *tensor.Tensor
	loop    bnLoop
	// per channel, backward's second pass's γ/σ and the means of dy and
	// dy·x̂ (zero in evaluation)
	scale, mdy, mdyx []float32
}

// NewBatchNorm returns a BatchNorm over c channels with γ = 1 (or 0 when
// zeroGamma, as on the last BN of a residual branch), β = 0, running mean 0
// and running variance 1.
func NewBatchNorm(name string, c int, zeroGamma bool) *BatchNorm {
	bn := &BatchNorm{Name: name, C: c, Momentum: 0.9, Eps: 1e-5,
		Gamma:   NewParam(name+".gamma", Norm, c),
		Beta:    NewParam(name+".beta", Norm, c),
		RunMean: make([]float32, c), RunVar: make([]float32, c), mean: make([]float32, c), invStd: make([]float32, c)}
	if !zeroGamma {
		bn.Gamma.Value.Fill(1)
	}
	for i := range bn.RunVar {
		bn.RunVar[i] = 1
	}
	return bn
}

func (bn *BatchNorm) dims(x *tensor.Tensor) (n, hw int) {
	if len(x.Shape) < 2 || x.Shape[1] != bn.C {
		panic(fmt.Sprintf("nn: %s: input shape %v, want [N, %d, ...]", bn.Name, x.Shape, bn.C))
	}
	return x.Shape[0], x.Len() / (x.Shape[0] * bn.C)
}

// Forward normalises x and applies γ and β.
func (bn *BatchNorm) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	bn.dims(x)
	if x.Grid != nil { // from a layer before that wrote on a grid
		bn.xDense = x.Dense(bn.xDense)
		x = bn.xDense
	}
	bn.train = train
	bn.x = x
	switch g := bn.grid(x.Shape); {
	case bn.sumWith != nil:
		if bn.ReLU || g != nil || bn.sumWith.Grid != nil || bn.sumOut.Grid != nil ||
			!slices.Equal(bn.sumWith.Shape, x.Shape) || !slices.Equal(bn.sumOut.Shape, x.Shape) {
			panic(fmt.Sprintf("nn: %s: a residual sum on input %v with shortcut %v into %v (ReLU %v, on a grid %v)",
				bn.Name, x.Shape, bn.sumWith.Shape, bn.sumOut.Shape, bn.ReLU, g != nil || bn.sumWith.Grid != nil || bn.sumOut.Grid != nil))
		}
		bn.out = bn.sumOut
	case g != nil:
		bn.out = tensor.OnGrid(bn.out, g, x.Shape...)
	case bn.Out != nil && !bn.ReLU:
		bn.out = bn.Out.tensor(bn.out, x.Shape)
	default:
		bn.out = tensor.Ensure(bn.out, x.Shape...)
	}
	n, _ := bn.dims(x)
	var pre []float64 // per image and channel, the two shifted sums
	if train && bn.SumsFrom != nil {
		if pre = bn.SumsFrom.OutputSums(x); len(pre) < 2*n*bn.C {
			pre = nil
		}
	}
	var ps *planeSums
	if train && pre == nil {
		ps = planeSumsFree.Get()
		ps.v = growSums(ps.v, 2*n*bn.C)
		pre = ps.v
		bn.run(bnPlaneStats, n, x, pre)
	}
	bn.run(bnStats, bn.C, x, pre)
	bn.run(bnNormalize, n, x, nil)
	if ps != nil {
		planeSumsFree.Put(ps)
	}
	return bn.out
}

// grid returns the grid Forward writes an output of the given shape on, or
// nil for NCHW.
func (bn *BatchNorm) grid(shape []int) *tensor.Grid {
	if bn.GridFor == nil || len(shape) != 4 {
		return nil
	}
	return bn.GridFor(shape)
}

// ensureParams allocates the per-channel parameters of the backward
// pass's second loop.
func (bn *BatchNorm) ensureParams() {
	if len(bn.scale) != bn.C {
		bn.scale, bn.mdy, bn.mdyx = make([]float32, bn.C), make([]float32, bn.C), make([]float32, bn.C)
	}
}

// planeStats sets sums[2(i·C+c)] and the index after to the shifted sums
// of image i's plane c (vec.ShiftedSums, shifted by channel c's first
// value), for images [i0, i1) of x.
func (bn *BatchNorm) planeStats(x *tensor.Tensor, sums []float64, i0, i1 int) {
	_, hw := bn.dims(x)
	for i := i0; i < i1; i++ {
		for c := 0; c < bn.C; c++ {
			off := (i*bn.C + c) * hw
			sums[2*(i*bn.C+c)], sums[2*(i*bn.C+c)+1] = vec.ShiftedSums(x.Data[off:off+hw], float64(x.Data[c*hw]))
		}
	}
}

// stats sets the mean and inverse deviation of channels [c0, c1): in
// training from the planes' sums (planeStats's, or the layer before's),
// added in the order of the images, and updates the running statistics;
// in evaluation from the running statistics.
func (bn *BatchNorm) stats(x *tensor.Tensor, sums []float64, c0, c1 int) {
	n, hw := bn.dims(x)
	cnt := float64(n * hw)
	for c := c0; c < c1; c++ {
		var mean, variance float64
		if bn.train {
			var s, ss float64
			for i := 0; i < n; i++ {
				s += sums[2*(i*bn.C+c)]
				ss += sums[2*(i*bn.C+c)+1]
			}
			// Shifted by the channel's first value so that a mean far
			// from zero does not cancel the variance away.
			k := float64(x.Data[c*hw])
			mean = k + s/cnt
			ss = max(ss-s*s/cnt, 0) // Σ (x − mean)²
			variance = ss / cnt
			unbiased := variance
			if cnt > 1 {
				unbiased = ss / (cnt - 1)
			}
			m := bn.Momentum
			bn.RunMean[c] = float32(m*float64(bn.RunMean[c]) + (1-m)*mean)
			bn.RunVar[c] = float32(m*float64(bn.RunVar[c]) + (1-m)*unbiased)
		} else {
			mean, variance = float64(bn.RunMean[c]), float64(bn.RunVar[c])
		}
		inv := 1 / math.Sqrt(variance+bn.Eps)
		bn.mean[c], bn.invStd[c] = float32(mean), float32(inv)
	}
}

// normalize writes the output of images [i0, i1) of x: a sample's planes
// in one call where the output is dense; where it lies on a grid, runs of
// planes (runLen) through a dense buffer, then plane by plane onto the
// grid.
func (bn *BatchNorm) normalize(x *tensor.Tensor, i0, i1 int) {
	_, hw := bn.dims(x)
	g, b := bn.Gamma.Value.Data, bn.Beta.Value.Data
	if bn.out.Grid == nil {
		for i := i0; i < i1; i++ {
			lo, hi := i*bn.C*hw, (i+1)*bn.C*hw
			out := bn.out.Data[lo:hi]
			if bn.sumWith != nil {
				vec.NormalizeAddReluPlanes(out, x.Data[lo:hi], bn.sumWith.Data[lo:hi], hw, bn.mean, bn.invStd, g, b)
				continue
			}
			vec.NormalizePlanes(out, x.Data[lo:hi], hw, bn.mean, bn.invStd, g, b)
			if bn.ReLU {
				vec.Relu(out, out)
			}
		}
		return
	}
	run := bn.runLen(hw)
	t := bnPlanesFree.Get()
	t.grow(run * hw)
	defer bnPlanesFree.Put(t)
	for i := i0; i < i1; i++ {
		for c0 := 0; c0 < bn.C; c0 += run {
			c1 := min(c0+run, bn.C)
			lo, hi := (i*bn.C+c0)*hw, (i*bn.C+c1)*hw
			y := t.y[:hi-lo]
			vec.NormalizePlanes(y, x.Data[lo:hi], hw, bn.mean[c0:c1], bn.invStd[c0:c1], g[c0:c1], b[c0:c1])
			if bn.ReLU {
				vec.Relu(y, y)
			}
			for c := c0; c < c1; c++ {
				bn.out.SetPlane(i, c, y[(c-c0)*hw:(c-c0+1)*hw])
			}
		}
	}
}

// bnRun bounds the values of a run of planes that the passes over grids
// take through their dense buffers (64 KiB each, three to a goroutine).
const bnRun = 1 << 14

// runLen returns the planes of hw values in such a run: all of a
// sample's where they fit (every layer of the width-16 ResNets at 28×28).
func (bn *BatchNorm) runLen(hw int) int { return max(1, min(bn.C, bnRun/max(hw, 1))) }

// grow returns b with length n, reallocated only when too small.
func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// Backward adds dγ = Σ dy·x̂ and dβ = Σ dy and returns the input gradient:
// in training γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)), in evaluation γ/σ·dy.
func (bn *BatchNorm) Backward(dy *tensor.Tensor) *tensor.Tensor {
	bn.dims(dy)
	if dy.Grid != nil { // from a layer after that wrote on a grid
		bn.dyDense = dy.Dense(bn.dyDense)
		dy = bn.dyDense
	}
	if g := bn.gradGrid(dy.Shape); g != nil {
		bn.dx = tensor.OnGrid(bn.dx, g, dy.Shape...)
	} else {
		bn.dx = tensor.Ensure(bn.dx, dy.Shape...)
	}
	bn.ensureParams()
	n, _ := bn.dims(dy)
	ps := planeSumsFree.Get()
	ps.v = growSums(ps.v, 2*n*bn.C)
	bn.run(bnGradStats, n, dy, ps.v)
	bn.run(bnGradParams, bn.C, dy, ps.v)
	bn.run(bnNormGrad, n, dy, nil)
	planeSumsFree.Put(ps)
	return bn.dx
}

// gradGrid returns the grid Backward writes an input gradient of the
// given shape on, or nil for NCHW.
func (bn *BatchNorm) gradGrid(shape []int) *tensor.Grid {
	if bn.GradGridFor == nil || len(shape) != 4 {
		return nil
	}
	return bn.GradGridFor(shape)
}

// gradStats sets sums[2(i·C+c)] and the index after to Σ g and Σ g·x̂
// over image i's plane c (vec.DotHat), for images [i0, i1), g the
// gradient the normalisation takes (gradRun). x̂ = (x − mu)·is,
// recomputed as Forward computed it.
func (bn *BatchNorm) gradStats(dy *tensor.Tensor, sums []float64, i0, i1 int) {
	_, hw := bn.dims(dy)
	run := bn.runLen(hw)
	t := bn.planes(run * hw)
	if t != nil {
		defer bnPlanesFree.Put(t)
	}
	for i := i0; i < i1; i++ {
		for c0 := 0; c0 < bn.C; c0 += run {
			c1 := min(c0+run, bn.C)
			g := bn.gradRun(dy, i, c0, c1, hw, t)
			for c := c0; c < c1; c++ {
				off := (i*bn.C + c) * hw
				sums[2*(i*bn.C+c)], sums[2*(i*bn.C+c)+1] = vec.DotHat(g[(c-c0)*hw:(c-c0+1)*hw], bn.x.Data[off:off+hw], bn.mean[c], bn.invStd[c])
			}
		}
	}
}

// gradParams adds, for channels [c0, c1), the planes' sums in the order
// of the images: γ's and β's gradients and, as means taken in float64,
// each channel's parameters of normGrad.
func (bn *BatchNorm) gradParams(dy *tensor.Tensor, sums []float64, c0, c1 int) {
	n, hw := bn.dims(dy)
	cnt := float64(n * hw)
	for c := c0; c < c1; c++ {
		var sdy, sdyx float64
		for i := 0; i < n; i++ {
			sdy += sums[2*(i*bn.C+c)]
			sdyx += sums[2*(i*bn.C+c)+1]
		}
		bn.Gamma.Grad.Data[c] += float32(sdyx)
		bn.Beta.Grad.Data[c] += float32(sdy)
		bn.scale[c] = bn.Gamma.Value.Data[c] * bn.invStd[c]
		bn.mdy[c], bn.mdyx[c] = float32(sdy/cnt), float32(sdyx/cnt)
		if !bn.train {
			bn.mdy[c], bn.mdyx[c] = 0, 0
		}
	}
}

// normGrad writes the input gradient of images [i0, i1): in training
// γ/σ·(g − mean(g) − x̂·mean(g·x̂)), in evaluation γ/σ·g; a sample's
// planes in one call where dx is dense, else runs of planes through a
// dense buffer, then plane by plane onto the grid.
func (bn *BatchNorm) normGrad(dy *tensor.Tensor, i0, i1 int) {
	_, hw := bn.dims(dy)
	if bn.dx.Grid == nil {
		for i := i0; i < i1; i++ {
			lo, hi := i*bn.C*hw, (i+1)*bn.C*hw
			g := dy.Data[lo:hi]
			if bn.ReLU { // gradStats's masked planes, in place
				g = bn.dx.Data[lo:hi]
			}
			vec.NormGradPlanes(bn.dx.Data[lo:hi], g, bn.x.Data[lo:hi], hw, bn.mean, bn.invStd, bn.scale, bn.mdy, bn.mdyx)
		}
		return
	}
	run := bn.runLen(hw)
	t := bn.planes(run * hw)
	defer bnPlanesFree.Put(t)
	for i := i0; i < i1; i++ {
		for c0 := 0; c0 < bn.C; c0 += run {
			c1 := min(c0+run, bn.C)
			lo, hi := (i*bn.C+c0)*hw, (i*bn.C+c1)*hw
			g := bn.gradRun(dy, i, c0, c1, hw, t)
			dx := t.dx[:hi-lo]
			vec.NormGradPlanes(dx, g, bn.x.Data[lo:hi], hw, bn.mean[c0:c1], bn.invStd[c0:c1], bn.scale[c0:c1], bn.mdy[c0:c1], bn.mdyx[c0:c1])
			for c := c0; c < c1; c++ {
				bn.dx.SetPlane(i, c, dx[(c-c0)*hw:(c-c0+1)*hw])
			}
		}
	}
}

// gradRun returns the gradient the normalisation takes on image i's
// planes [c0, c1): dy's, or with ReLU dy masked by the output's sign,
// written to dx's planes when dx is dense (normGrad reads it there) and
// to t.g when dx is on a grid (normGrad computes it again). An output on
// a grid is not read back: its planes are recomputed from x as forward
// computed them, into t.y (the ReLU keeps the sign).
func (bn *BatchNorm) gradRun(dy *tensor.Tensor, i, c0, c1, hw int, t *bnPlanes) []float32 {
	lo, hi := (i*bn.C+c0)*hw, (i*bn.C+c1)*hw
	d := dy.Data[lo:hi]
	if !bn.ReLU {
		return d
	}
	y := bn.out.Data[lo:hi]
	if bn.out.Grid != nil {
		y = t.y[:hi-lo]
		g, b := bn.Gamma.Value.Data, bn.Beta.Value.Data
		vec.NormalizePlanes(y, bn.x.Data[lo:hi], hw, bn.mean[c0:c1], bn.invStd[c0:c1], g[c0:c1], b[c0:c1])
	}
	g := bn.dx.Data[lo:hi]
	if bn.dx.Grid != nil {
		g = t.g[:hi-lo]
	}
	vec.ReluGrad(g, d, y)
	return g
}

// planes returns a goroutine's dense buffers of n values each for the
// passes over grids, nil when neither the output nor dx lies on one.
// The caller puts them back (bnPlanesFree).
func (bn *BatchNorm) planes(n int) *bnPlanes {
	if bn.out.Grid == nil && bn.dx.Grid == nil {
		return nil
	}
	t := bnPlanesFree.Get()
	t.grow(n)
	return t
}

// bnPlanes are a goroutine's dense buffers for the passes over outputs
// and gradients on grids: a run of planes each.
type bnPlanes struct{ y, g, dx []float32 }

func (t *bnPlanes) grow(n int) { t.y, t.g, t.dx = grow(t.y, n), grow(t.g, n), grow(t.dx, n) }

var bnPlanesFree sched.FreeList[bnPlanes]

// The BatchNorm's parallel loops. A pass over the activations goes by
// images, each sample's planes adjacent in memory, the images cut as the
// convolutions around it cut theirs; the per-channel statistics in
// between go by channel, from per-plane sums added in the order of the
// images, so the results do not depend on the thread count.
const (
	bnPlaneStats = iota // images: planeStats
	bnStats             // channels: stats
	bnNormalize         // images: normalize
	bnGradStats         // images: gradStats
	bnGradParams        // channels: gradParams
	bnNormGrad          // images: normGrad
)

// bnLoop is one of them in progress; it lives in its BatchNorm and goes to
// sched.Parallel by pointer, so the passes allocate nothing.
type bnLoop struct {
	bn   *BatchNorm
	kind int
	t    *tensor.Tensor // x for the forward loops, dy for the backward ones
	sums []float64      // per image and channel
}

// run runs loop kind over [0, n) in parallel.
func (bn *BatchNorm) run(kind, n int, t *tensor.Tensor, sums []float64) {
	bn.loop = bnLoop{bn: bn, kind: kind, t: t, sums: sums}
	sched.Parallel(n, 1, &bn.loop)
	bn.loop = bnLoop{}
}

// Range runs iterations [j0, j1): images or channels.
func (l *bnLoop) Range(j0, j1 int) {
	bn := l.bn
	switch l.kind {
	case bnPlaneStats:
		bn.planeStats(l.t, l.sums, j0, j1)
	case bnStats:
		bn.stats(l.t, l.sums, j0, j1)
	case bnNormalize:
		bn.normalize(l.t, j0, j1)
	case bnGradStats:
		bn.gradStats(l.t, l.sums, j0, j1)
	case bnGradParams:
		bn.gradParams(l.t, l.sums, j0, j1)
	case bnNormGrad:
		bn.normGrad(l.t, j0, j1)
	}
}

// planeSums holds a pass's per-plane sums, [N, C, 2], shared by the
// network's BatchNorms (they never run at once) through planeSumsFree.
type planeSums struct{ v []float64 }

var planeSumsFree sched.FreeList[planeSums]

// growSums returns b with length n, reallocated only when too small.
func growSums(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

// Params returns γ and β.
func (bn *BatchNorm) Params() []*Param { return []*Param{bn.Gamma, bn.Beta} }
