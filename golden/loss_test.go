package golden

// Layer 2b, the loss: nn.SoftmaxCrossEntropy against the float64 reference.

import (
	"math"
	"testing"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/golden/internal/ref"
)

// TestSoftmaxCrossEntropyMatchesReference. The layer works in float64
// except for z − max(z), rounded to float32: that perturbs each logit by at
// most u·M, M = max|z − max z| of its row. The loss, lse(z) − z_y, moves by
// at most 2u·M per row (float64's own error is far below). The gradient
// p − onehot, divided by n: p's relative error is at most u·(|z_j − m| + M)
// ≤ 2u·M from the logits, plus the roundings of exp(·), of the product by
// 1/(s·n) and of the subtraction of 1/n: within (3 + 2M)·u·(p_j + δ_jy)/n.
func TestSoftmaxCrossEntropyMatchesReference(t *testing.T) {
	const n, k = 5, 7
	r := newRand(1800)
	z := scale(4, normals(r, n*k))
	for j := range z {
		z[j] = float64(float32(z[j]))
	}
	z[k+3] = 40 // a confident row: exp must not overflow
	labels := []int{0, 3, 6, 2, 2}
	labels32 := make([]int32, n)
	for i, l := range labels {
		labels32[i] = int32(l)
	}
	loss, g := nn.SoftmaxCrossEntropy(tensorOf(z, n, k), labels32, nil)
	wl, wg := ref.SoftmaxCE(z, labels, n, k)
	var lossTol float64
	tol := make([]float64, n*k)
	for i := 0; i < n; i++ {
		row := z[i*k : (i+1)*k]
		m, lo := math.Inf(-1), math.Inf(1)
		for _, v := range row {
			m, lo = max(m, v), min(lo, v)
		}
		big := m - lo
		lossTol += 2 * u * big / n
		for j := range row {
			p := wg[i*k+j]
			if j == labels[i] {
				p = p + 2.0/n // p_j + δ_jy, with wg[y] = (p_y − 1)/n
			}
			tol[i*k+j] = (3 + 2*big) * u * math.Abs(p) * (1 + gamma(1))
		}
	}
	if math.Abs(loss-wl) > lossTol {
		t.Errorf("SoftmaxCrossEntropy loss = %v, want %v ± %.3g", loss, wl, lossTol)
	}
	within(t, "softmax-ce grad", g.Data, wg, tol)
}
