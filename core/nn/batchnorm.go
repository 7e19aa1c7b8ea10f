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
	sums    []float64 // per channel, two sums of a pass (see forward, backward)
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
	bn.ensureSums()
	bn.loop = bnLoop{bn: bn, x: x}
	sched.Parallel(bn.C, 1, &bn.loop)
	bn.loop = bnLoop{}
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

// ensureSums allocates the per-channel sums the passes share (each
// goroutine writes only its own channels').
func (bn *BatchNorm) ensureSums() {
	if len(bn.sums) != 2*bn.C {
		bn.sums = make([]float64, 2*bn.C)
		bn.scale, bn.mdy, bn.mdyx = make([]float32, bn.C), make([]float32, bn.C), make([]float32, bn.C)
	}
}

// forward normalises channels [c0, c1) of x. Each pass over the data goes
// sample by sample, taking the channels' runs of hw values, adjacent in
// memory, as one stream: channel by channel it would read n short runs far
// apart, each starting with a cache miss (7×7 planes measured ~15% slower).
// Each channel still adds its runs' sums in the order of the samples.
func (bn *BatchNorm) forward(x *tensor.Tensor, c0, c1 int) {
	n, hw := bn.dims(x)
	cnt := float64(n * hw)
	if bn.train {
		// One pass for both sums, shifted by the channel's first value so
		// that a mean far from zero does not cancel the variance away;
		// or the layer before's, gathered as it wrote x (SumsFrom).
		var pre []float64
		if bn.SumsFrom != nil {
			if pre = bn.SumsFrom.OutputSums(x); len(pre) < 2*n*bn.C {
				pre = nil
			}
		}
		sums := bn.sums[2*c0 : 2*c1]
		clear(sums)
		for i := 0; i < n; i++ {
			for c := c0; c < c1; c++ {
				var a, b float64
				if pre != nil {
					a, b = pre[2*(i*bn.C+c)], pre[2*(i*bn.C+c)+1]
				} else {
					off := (i*bn.C + c) * hw
					a, b = vec.ShiftedSums(x.Data[off:off+hw], float64(x.Data[c*hw]))
				}
				sums[2*(c-c0)] += a
				sums[2*(c-c0)+1] += b
			}
		}
	}
	for c := c0; c < c1; c++ {
		var mean, variance float64
		if bn.train {
			k := float64(x.Data[c*hw])
			s, ss := bn.sums[2*c], bn.sums[2*c+1]
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
	g, b := bn.Gamma.Value.Data, bn.Beta.Value.Data
	og := bn.out.Grid
	if og == nil { // a sample's run of channels in one call each
		for i := 0; i < n; i++ {
			lo, hi := (i*bn.C+c0)*hw, (i*bn.C+c1)*hw
			out := bn.out.Data[lo:hi]
			if bn.sumWith != nil {
				vec.NormalizeAddReluPlanes(out, x.Data[lo:hi], bn.sumWith.Data[lo:hi], hw, bn.mean[c0:c1], bn.invStd[c0:c1], g[c0:c1], b[c0:c1])
				continue
			}
			vec.NormalizePlanes(out, x.Data[lo:hi], hw, bn.mean[c0:c1], bn.invStd[c0:c1], g[c0:c1], b[c0:c1])
			if bn.ReLU {
				vec.Relu(out, out)
			}
		}
		return
	}
	// On a grid each plane goes through a dense one.
	t := bnPlanesFree.Get()
	t.grow(hw)
	defer bnPlanesFree.Put(t)
	for i := 0; i < n; i++ {
		for c := c0; c < c1; c++ {
			off := (i*bn.C + c) * hw
			vec.Normalize(t.y, x.Data[off:off+hw], bn.mean[c], bn.invStd[c], g[c], b[c])
			if bn.ReLU {
				vec.Relu(t.y, t.y)
			}
			bn.out.SetPlane(i, c, t.y)
		}
	}
}

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
	bn.ensureSums()
	bn.loop = bnLoop{bn: bn, dy: dy}
	sched.Parallel(bn.C, 1, &bn.loop)
	bn.loop = bnLoop{}
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

// backward computes channels [c0, c1) of the input gradient and of dγ and
// dβ, sample by sample as forward. x̂ = (x − mu)·is, recomputed as Forward
// computed it. With ReLU, dy masked by the output's sign (gradPlane)
// stands in for dy: written to dx's plane when dx is dense, where the
// second pass reads it, and computed again in that pass when dx is on a
// grid, whose planes go through a dense one.
func (bn *BatchNorm) backward(dy *tensor.Tensor, c0, c1 int) {
	n, hw := bn.dims(dy)
	cnt := float64(n * hw)
	sums := bn.sums[2*c0 : 2*c1]
	clear(sums)
	var t *bnPlanes
	if bn.out.Grid != nil || bn.dx.Grid != nil {
		t = bnPlanesFree.Get()
		t.grow(hw)
		defer bnPlanesFree.Put(t)
	}
	// With every buffer dense, a sample's run of channels is masked in
	// one call.
	dense := bn.out.Grid == nil && bn.dx.Grid == nil
	for i := 0; i < n; i++ {
		if bn.ReLU && dense {
			lo, hi := (i*bn.C+c0)*hw, (i*bn.C+c1)*hw
			vec.ReluGrad(bn.dx.Data[lo:hi], dy.Data[lo:hi], bn.out.Data[lo:hi])
		}
		for c := c0; c < c1; c++ {
			off := (i*bn.C + c) * hw
			var g []float32
			if bn.ReLU && dense {
				g = bn.dx.Data[off : off+hw]
			} else {
				g = bn.gradPlane(dy, c, off, hw, t)
			}
			a, b := vec.DotHat(g, bn.x.Data[off:off+hw], bn.mean[c], bn.invStd[c])
			sums[2*(c-c0)] += a
			sums[2*(c-c0)+1] += b
		}
	}
	// The sums give γ's and β's gradients and, as means taken in
	// float64, each channel's parameters of the second pass.
	for c := c0; c < c1; c++ {
		sdy, sdyx := bn.sums[2*c], bn.sums[2*c+1]
		bn.Gamma.Grad.Data[c] += float32(sdyx)
		bn.Beta.Grad.Data[c] += float32(sdy)
		bn.scale[c] = bn.Gamma.Value.Data[c] * bn.invStd[c]
		bn.mdy[c], bn.mdyx[c] = float32(sdy/cnt), float32(sdyx/cnt)
		if !bn.train {
			bn.mdy[c], bn.mdyx[c] = 0, 0
		}
	}
	mu, is, scale, mdy, mdyx := bn.mean[c0:c1], bn.invStd[c0:c1], bn.scale[c0:c1], bn.mdy[c0:c1], bn.mdyx[c0:c1]
	for i := 0; i < n; i++ {
		if bn.dx.Grid == nil { // a sample's run of channels in one call
			lo, hi := (i*bn.C+c0)*hw, (i*bn.C+c1)*hw
			g := dy.Data[lo:hi]
			if bn.ReLU { // the first pass's masked planes, in place
				g = bn.dx.Data[lo:hi]
			}
			vec.NormGradPlanes(bn.dx.Data[lo:hi], g, bn.x.Data[lo:hi], hw, mu, is, scale, mdy, mdyx)
			continue
		}
		for c := c0; c < c1; c++ {
			off := (i*bn.C + c) * hw
			g := bn.gradPlane(dy, c, off, hw, t)
			vec.NormGrad(t.dx, g, bn.x.Data[off:off+hw], bn.mean[c], bn.invStd[c], bn.scale[c], bn.mdy[c], bn.mdyx[c])
			bn.dx.SetPlane(i, c, t.dx)
		}
	}
}

// gradPlane returns the plane at off of the gradient the normalisation
// takes: dy's, or with ReLU dy masked by the output's sign, written to
// dx's plane when dx is dense, else to t.g. An output on a grid is not
// read back: its plane is recomputed from x as forward computed it (the
// ReLU keeps the sign).
func (bn *BatchNorm) gradPlane(dy *tensor.Tensor, c, off, hw int, t *bnPlanes) []float32 {
	d := dy.Data[off : off+hw]
	if !bn.ReLU {
		return d
	}
	var y []float32
	if bn.out.Grid == nil {
		y = bn.out.Data[off : off+hw]
	} else {
		y = t.y
		g, b := bn.Gamma.Value.Data, bn.Beta.Value.Data
		vec.Normalize(y, bn.x.Data[off:off+hw], bn.mean[c], bn.invStd[c], g[c], b[c])
	}
	var g []float32
	if bn.dx.Grid == nil {
		g = bn.dx.Data[off : off+hw]
	} else {
		g = t.g
	}
	vec.ReluGrad(g, d, y)
	return g
}

// bnPlanes are a goroutine's dense planes for the passes over outputs
// and gradients on grids.
type bnPlanes struct{ y, g, dx []float32 }

func (t *bnPlanes) grow(hw int) { t.y, t.g, t.dx = grow(t.y, hw), grow(t.g, hw), grow(t.dx, hw) }

var bnPlanesFree sched.FreeList[bnPlanes]

// bnLoop runs a BatchNorm pass over channels, whole channels to a
// goroutine, so the statistics do not depend on the thread count. x is
// set for Forward, dy for Backward.
type bnLoop struct {
	bn    *BatchNorm
	x, dy *tensor.Tensor
}

// Range runs channels [c0, c1).
func (l *bnLoop) Range(c0, c1 int) {
	if l.x != nil {
		l.bn.forward(l.x, c0, c1)
	} else {
		l.bn.backward(l.dy, c0, c1)
	}
}

// Params returns γ and β.
func (bn *BatchNorm) Params() []*Param { return []*Param{bn.Gamma, bn.Beta} }
