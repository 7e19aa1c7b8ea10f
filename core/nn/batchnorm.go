package nn

import (
	"fmt"
	"math"

	"github.com/untied-ml/untied/core/tensor"
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
	xhat   *tensor.Tensor
	invStd []float32
	out    *tensor.Tensor
	dx     *tensor.Tensor
}

// NewBatchNorm returns a BatchNorm over c channels with γ = 1 (or 0 when
// zeroGamma, as on the last BN of a residual branch), β = 0, running mean 0
// and running variance 1.
func NewBatchNorm(name string, c int, zeroGamma bool) *BatchNorm {
	bn := &BatchNorm{Name: name, C: c, Momentum: 0.9, Eps: 1e-5,
		Gamma:   NewParam(name+".gamma", Norm, c),
		Beta:    NewParam(name+".beta", Norm, c),
		RunMean: make([]float32, c), RunVar: make([]float32, c), invStd: make([]float32, c)}
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
	n, hw := bn.dims(x)
	bn.train = train
	bn.xhat = tensor.Ensure(bn.xhat, x.Shape...)
	bn.out = tensor.Ensure(bn.out, x.Shape...)
	cnt := float64(n * hw)
	for c := 0; c < bn.C; c++ {
		var mean, variance float64
		if train {
			var s float64
			for i := 0; i < n; i++ {
				for _, v := range x.Data[(i*bn.C+c)*hw : (i*bn.C+c+1)*hw] {
					s += float64(v)
				}
			}
			mean = s / cnt
			var ss float64
			for i := 0; i < n; i++ {
				for _, v := range x.Data[(i*bn.C+c)*hw : (i*bn.C+c+1)*hw] {
					d := float64(v) - mean
					ss += d * d
				}
			}
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
		bn.invStd[c] = float32(inv)
		g, b := bn.Gamma.Value.Data[c], bn.Beta.Value.Data[c]
		mu, is := float32(mean), float32(inv)
		for i := 0; i < n; i++ {
			off := (i*bn.C + c) * hw
			src, xh, dst := x.Data[off:off+hw], bn.xhat.Data[off:off+hw], bn.out.Data[off:off+hw]
			for j, v := range src {
				h := (v - mu) * is
				xh[j] = h
				dst[j] = g*h + b
			}
		}
	}
	return bn.out
}

// Backward adds dγ = Σ dy·x̂ and dβ = Σ dy and returns the input gradient:
// in training γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)), in evaluation γ/σ·dy.
func (bn *BatchNorm) Backward(dy *tensor.Tensor) *tensor.Tensor {
	n, hw := bn.dims(dy)
	bn.dx = tensor.Ensure(bn.dx, dy.Shape...)
	cnt := float64(n * hw)
	for c := 0; c < bn.C; c++ {
		var sdy, sdyx float64
		for i := 0; i < n; i++ {
			off := (i*bn.C + c) * hw
			xh := bn.xhat.Data[off : off+hw]
			for j, v := range dy.Data[off : off+hw] {
				sdy += float64(v)
				sdyx += float64(v) * float64(xh[j])
			}
		}
		bn.Gamma.Grad.Data[c] += float32(sdyx)
		bn.Beta.Grad.Data[c] += float32(sdy)
		scale := bn.Gamma.Value.Data[c] * bn.invStd[c]
		mdy, mdyx := float32(sdy/cnt), float32(sdyx/cnt)
		if !bn.train {
			mdy, mdyx = 0, 0
		}
		for i := 0; i < n; i++ {
			off := (i*bn.C + c) * hw
			xh, dst := bn.xhat.Data[off:off+hw], bn.dx.Data[off:off+hw]
			for j, v := range dy.Data[off : off+hw] {
				dst[j] = scale * (v - mdy - xh[j]*mdyx)
			}
		}
	}
	return bn.dx
}

// Params returns γ and β.
func (bn *BatchNorm) Params() []*Param { return []*Param{bn.Gamma, bn.Beta} }
