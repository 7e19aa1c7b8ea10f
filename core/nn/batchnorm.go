package nn

import (
	"fmt"
	"math"

	"github.com/untied-ml/untied/core/gemm"
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
	loop   bnLoop
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
	bn.dims(x)
	bn.train = train
	bn.xhat = tensor.Ensure(bn.xhat, x.Shape...)
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
		var s float64
		for i := 0; i < n; i++ {
			s += sum64(x.Data[(i*bn.C+c)*hw : (i*bn.C+c+1)*hw])
		}
		mean = s / cnt
		var ss float64
		for i := 0; i < n; i++ {
			ss += sqDev64(x.Data[(i*bn.C+c)*hw:(i*bn.C+c+1)*hw], mean)
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
		xh, dst = xh[:len(src)], dst[:len(src)]
		for j, v := range src {
			h := (v - mu) * is
			xh[j] = h
			dst[j] = g*h + b
		}
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
	var sdy, sdyx float64
	for i := 0; i < n; i++ {
		off := (i*bn.C + c) * hw
		a, b := dot64(dy.Data[off:off+hw], bn.xhat.Data[off:off+hw])
		sdy += a
		sdyx += b
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
		g, xh, dst := dy.Data[off:off+hw], bn.xhat.Data[off:off+hw], bn.dx.Data[off:off+hw]
		xh, dst = xh[:len(g)], dst[:len(g)]
		for j, v := range g {
			dst[j] = scale * (v - mdy - xh[j]*mdyx)
		}
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

// sum64 is Σ x in float64, over four partial sums (a single chain of
// dependent additions runs at a quarter of the adder's rate).
func sum64(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		s0 += float64(v[0])
		s1 += float64(v[1])
		s2 += float64(v[2])
		s3 += float64(v[3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// sqDev64 is Σ (x − mean)² in float64, as sum64.
func sqDev64(x []float32, mean float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		d0, d1, d2, d3 := float64(v[0])-mean, float64(v[1])-mean, float64(v[2])-mean, float64(v[3])-mean
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(x); i++ {
		d := float64(x[i]) - mean
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// dot64 returns Σ a and Σ a·b in float64, each over two partial sums.
func dot64(a, b []float32) (sa, sab float64) {
	b = b[:len(a)]
	var s0, s1, p0, p1 float64
	i := 0
	for ; i+2 <= len(a); i += 2 {
		a0, a1 := float64(a[i]), float64(a[i+1])
		s0 += a0
		s1 += a1
		p0 += a0 * float64(b[i])
		p1 += a1 * float64(b[i+1])
	}
	for ; i < len(a); i++ {
		s0 += float64(a[i])
		p0 += float64(a[i]) * float64(b[i])
	}
	return s0 + s1, p0 + p1
}

// Params returns γ and β.
func (bn *BatchNorm) Params() []*Param { return []*Param{bn.Gamma, bn.Beta} }
