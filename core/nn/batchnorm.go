package nn

import (
	"fmt"
	"math"

	"github.com/untied-ml/untied/core/gemm"
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

	train  bool
	x      *tensor.Tensor // the last Forward's input, from which Backward recomputes x̂
	mean   []float32      // per channel, of the last Forward
	invStd []float32
	out    *tensor.Tensor
	dx     *tensor.Tensor
	loop   bnLoop
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
	bn.train = train
	bn.x = x
	bn.out = tensor.Ensure(bn.out, x.Shape...)
	bn.loop = bnLoop{bn: bn, x: x}
	gemm.Parallel(bn.C, 1, &bn.loop)
	bn.loop = bnLoop{}
	return bn.out
}

// forward normalises channel c of x.
func (bn *BatchNorm) forward(x *tensor.Tensor, c int) {
	n, hw := bn.dims(x)
	cnt := float64(n * hw)
	var mean, variance float64
	if bn.train {
		// One pass for both sums, shifted by the channel's first value so
		// that a mean far from zero does not cancel the variance away.
		k := float64(x.Data[c*hw])
		var s, ss float64
		for i := 0; i < n; i++ {
			a, b := vec.ShiftedSums(x.Data[(i*bn.C+c)*hw:(i*bn.C+c+1)*hw], k)
			s += a
			ss += b
		}
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
	mu, is := float32(mean), float32(inv)
	bn.mean[c], bn.invStd[c] = mu, is
	g, b := bn.Gamma.Value.Data[c], bn.Beta.Value.Data[c]
	for i := 0; i < n; i++ {
		off := (i*bn.C + c) * hw
		vec.Normalize(bn.out.Data[off:off+hw], x.Data[off:off+hw], mu, is, g, b)
	}
}

// Backward adds dγ = Σ dy·x̂ and dβ = Σ dy and returns the input gradient:
// in training γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)), in evaluation γ/σ·dy.
func (bn *BatchNorm) Backward(dy *tensor.Tensor) *tensor.Tensor {
	bn.dims(dy)
	bn.dx = tensor.Ensure(bn.dx, dy.Shape...)
	bn.loop = bnLoop{bn: bn, dy: dy}
	gemm.Parallel(bn.C, 1, &bn.loop)
	bn.loop = bnLoop{}
	return bn.dx
}

// backward computes channel c of the input gradient and of dγ and dβ.
func (bn *BatchNorm) backward(dy *tensor.Tensor, c int) {
	n, hw := bn.dims(dy)
	cnt := float64(n * hw)
	mu, is := bn.mean[c], bn.invStd[c] // x̂ = (x − mu)·is, as Forward computed it
	var sdy, sdyx float64
	for i := 0; i < n; i++ {
		off := (i*bn.C + c) * hw
		a, b := vec.DotHat(dy.Data[off:off+hw], bn.x.Data[off:off+hw], mu, is)
		sdy += a
		sdyx += b
	}
	bn.Gamma.Grad.Data[c] += float32(sdyx)
	bn.Beta.Grad.Data[c] += float32(sdy)
	scale := bn.Gamma.Value.Data[c] * is
	mdy, mdyx := float32(sdy/cnt), float32(sdyx/cnt)
	if !bn.train {
		mdy, mdyx = 0, 0
	}
	for i := 0; i < n; i++ {
		off := (i*bn.C + c) * hw
		vec.NormGrad(bn.dx.Data[off:off+hw], dy.Data[off:off+hw], bn.x.Data[off:off+hw], mu, is, scale, mdy, mdyx)
	}
}

// bnLoop runs a BatchNorm pass over channels, one goroutine per channel,
// so the statistics do not depend on the thread count. x is set for
// Forward, dy for Backward.
type bnLoop struct {
	bn    *BatchNorm
	x, dy *tensor.Tensor
}

// Range runs channels [c0, c1).
func (l *bnLoop) Range(c0, c1 int) {
	for c := c0; c < c1; c++ {
		if l.x != nil {
			l.bn.forward(l.x, c)
		} else {
			l.bn.backward(l.dy, c)
		}
	}
}

// Params returns γ and β.
func (bn *BatchNorm) Params() []*Param { return []*Param{bn.Gamma, bn.Beta} }
