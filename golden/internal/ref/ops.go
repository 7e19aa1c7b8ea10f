package ref

import "math"

// BN is batch normalisation over the channels of an [N, C, HW] batch.
type BN struct {
	N, C, HW      int
	Eps, Momentum float64
}

// BNState is what BN's forward pass keeps for its backward pass.
type BNState struct {
	Train     bool
	Mean, Var []float64 // the statistics used: batch (biased variance) or running
	Xhat      []float64 // (x − mean)/√(var + eps)
}

// Stats returns the batch mean and biased variance of each channel.
func (b BN) Stats(x []float64) (mean, variance []float64) {
	mean, variance = make([]float64, b.C), make([]float64, b.C)
	cnt := float64(b.N * b.HW)
	for c := 0; c < b.C; c++ {
		for i := 0; i < b.N; i++ {
			for p := 0; p < b.HW; p++ {
				mean[c] += x[(i*b.C+c)*b.HW+p]
			}
		}
		mean[c] /= cnt
		for i := 0; i < b.N; i++ {
			for p := 0; p < b.HW; p++ {
				d := x[(i*b.C+c)*b.HW+p] - mean[c]
				variance[c] += d * d
			}
		}
		variance[c] /= cnt
	}
	return mean, variance
}

// Forward returns y = γ·x̂ + β with x̂ = (x − mean)/√(var + eps), using the
// batch statistics in training and runMean, runVar otherwise.
func (b BN) Forward(x, gamma, beta []float64, train bool, runMean, runVar []float64) ([]float64, BNState) {
	st := BNState{Train: train, Mean: runMean, Var: runVar}
	if train {
		st.Mean, st.Var = b.Stats(x)
	}
	y := make([]float64, len(x))
	st.Xhat = make([]float64, len(x))
	for i := 0; i < b.N; i++ {
		for c := 0; c < b.C; c++ {
			for p := 0; p < b.HW; p++ {
				j := (i*b.C+c)*b.HW + p
				st.Xhat[j] = (x[j] - st.Mean[c]) / math.Sqrt(st.Var[c]+b.Eps)
				y[j] = gamma[c]*st.Xhat[j] + beta[c]
			}
		}
	}
	return y, st
}

// Backward returns dx, dγ = Σ dy·x̂ and dβ = Σ dy. In training the batch
// statistics depend on x: dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)); in
// evaluation dx = γ/σ·dy.
func (b BN) Backward(dy, gamma []float64, st BNState) (dx, dgamma, dbeta []float64) {
	dx, dgamma, dbeta = make([]float64, len(dy)), make([]float64, b.C), make([]float64, b.C)
	cnt := float64(b.N * b.HW)
	for c := 0; c < b.C; c++ {
		for i := 0; i < b.N; i++ {
			for p := 0; p < b.HW; p++ {
				j := (i*b.C+c)*b.HW + p
				dgamma[c] += dy[j] * st.Xhat[j]
				dbeta[c] += dy[j]
			}
		}
		scale := gamma[c] / math.Sqrt(st.Var[c]+b.Eps)
		mdy, mdyx := dbeta[c]/cnt, dgamma[c]/cnt
		if !st.Train {
			mdy, mdyx = 0, 0
		}
		for i := 0; i < b.N; i++ {
			for p := 0; p < b.HW; p++ {
				j := (i*b.C+c)*b.HW + p
				dx[j] = scale * (dy[j] - mdy - st.Xhat[j]*mdyx)
			}
		}
	}
	return dx, dgamma, dbeta
}

// Running returns the running statistics after one training step on x:
// r ← m·r + (1−m)·batch, with the unbiased batch variance.
func (b BN) Running(x, runMean, runVar []float64) (mean, variance []float64) {
	bm, bv := b.Stats(x)
	cnt := float64(b.N * b.HW)
	mean, variance = make([]float64, b.C), make([]float64, b.C)
	for c := range mean {
		unbiased := bv[c]
		if cnt > 1 {
			unbiased = bv[c] * cnt / (cnt - 1)
		}
		mean[c] = b.Momentum*runMean[c] + (1-b.Momentum)*bm[c]
		variance[c] = b.Momentum*runVar[c] + (1-b.Momentum)*unbiased
	}
	return mean, variance
}

// ReLU returns max(x, 0).
func ReLU(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = max(v, 0)
	}
	return y
}

// ReLUBackward returns dy where x > 0, else 0.
func ReLUBackward(x, dy []float64) []float64 {
	dx := make([]float64, len(x))
	for i, v := range x {
		if v > 0 {
			dx[i] = dy[i]
		}
	}
	return dx
}

// Pool is the geometry of a K×K max-pool of [N, C, H, W] batches with a
// stride and padding that never wins.
type Pool struct {
	N, C, H, W, K, Stride, Pad int
}

// OutH is the output height.
func (p Pool) OutH() int { return (p.H+2*p.Pad-p.K)/p.Stride + 1 }

// OutW is the output width.
func (p Pool) OutW() int { return (p.W+2*p.Pad-p.K)/p.Stride + 1 }

// Forward returns each window's maximum and the flat index of the input
// that holds it.
func (p Pool) Forward(x []float64) (y []float64, arg []int) {
	oh, ow := p.OutH(), p.OutW()
	y, arg = make([]float64, p.N*p.C*oh*ow), make([]int, p.N*p.C*oh*ow)
	for plane := 0; plane < p.N*p.C; plane++ {
		for a := 0; a < oh; a++ {
			for b := 0; b < ow; b++ {
				o := (plane*oh+a)*ow + b
				y[o], arg[o] = math.Inf(-1), -1
				for kh := 0; kh < p.K; kh++ {
					for kw := 0; kw < p.K; kw++ {
						h, v := a*p.Stride-p.Pad+kh, b*p.Stride-p.Pad+kw
						if h < 0 || h >= p.H || v < 0 || v >= p.W {
							continue
						}
						if j := (plane*p.H+h)*p.W + v; x[j] > y[o] {
							y[o], arg[o] = x[j], j
						}
					}
				}
			}
		}
	}
	return y, arg
}

// Backward adds each output's gradient into the input that won its window.
func (p Pool) Backward(dy []float64, arg []int) []float64 {
	dx := make([]float64, p.N*p.C*p.H*p.W)
	for o, j := range arg {
		dx[j] += dy[o]
	}
	return dx
}

// GAP returns the mean over hw of each of the n·c planes of x.
func GAP(x []float64, planes, hw int) []float64 {
	y := make([]float64, planes)
	for q := range y {
		for p := 0; p < hw; p++ {
			y[q] += x[q*hw+p]
		}
		y[q] /= float64(hw)
	}
	return y
}

// GAPBackward spreads dy[q]/hw over plane q.
func GAPBackward(dy []float64, hw int) []float64 {
	dx := make([]float64, len(dy)*hw)
	for q, d := range dy {
		for p := 0; p < hw; p++ {
			dx[q*hw+p] = d / float64(hw)
		}
	}
	return dx
}

// Add returns a + b (the residual sum; its gradient is dy to both).
func Add(a, b []float64) []float64 {
	y := make([]float64, len(a))
	for i := range a {
		y[i] = a[i] + b[i]
	}
	return y
}

// SoftmaxCE returns the mean over the n rows of z [n, k] of
// −log softmax(z)[label] and its gradient (softmax(z) − onehot(label))/n.
func SoftmaxCE(z []float64, labels []int, n, k int) (float64, []float64) {
	var loss float64
	dz := make([]float64, n*k)
	for i := 0; i < n; i++ {
		row := z[i*k : (i+1)*k]
		m := math.Inf(-1)
		for _, v := range row {
			m = max(m, v)
		}
		var s float64
		for _, v := range row {
			s += math.Exp(v - m)
		}
		loss += math.Log(s) + m - row[labels[i]]
		for j, v := range row {
			dz[i*k+j] = math.Exp(v-m) / s / float64(n)
		}
		dz[i*k+labels[i]] -= 1 / float64(n)
	}
	return loss / float64(n), dz
}
