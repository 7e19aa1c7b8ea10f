package nn

import (
	"fmt"
	"math"

	"github.com/untied-ml/untied/core/tensor"
)

// SoftmaxCrossEntropy returns the mean over the batch of −log softmax(z)[label]
// for logits z [N, K], and sets grad (reused if large enough) to its
// gradient (softmax(z) − onehot(label))/N. Sums are taken in float64.
func SoftmaxCrossEntropy(logits *tensor.Tensor, labels []int32, grad *tensor.Tensor) (float64, *tensor.Tensor) {
	n, k := logits.Shape[0], logits.Len()/logits.Shape[0]
	if len(labels) != n {
		panic(fmt.Sprintf("nn: %d labels for %d logits rows", len(labels), n))
	}
	grad = tensor.Ensure(grad, n, k)
	var loss float64
	for i := 0; i < n; i++ {
		z := logits.Data[i*k : (i+1)*k]
		g := grad.Data[i*k : (i+1)*k]
		m := z[0]
		for _, v := range z {
			m = max(m, v)
		}
		var s float64
		for j, v := range z {
			e := math.Exp(float64(v - m))
			g[j] = float32(e)
			s += e
		}
		y := int(labels[i])
		if y < 0 || y >= k {
			panic(fmt.Sprintf("nn: label %d outside [0, %d)", y, k))
		}
		loss += math.Log(s) - float64(z[y]-m)
		inv := 1 / (s * float64(n))
		for j := range g {
			g[j] = float32(float64(g[j]) * inv)
		}
		g[y] -= float32(1 / float64(n))
	}
	return loss / float64(n), grad
}

// TopK counts the rows of logits [N, K] whose label is among the k largest
// entries (ties broken toward the lower index).
func TopK(logits *tensor.Tensor, labels []int32, k int) int {
	n, classes := logits.Shape[0], logits.Len()/logits.Shape[0]
	hits := 0
	for i := 0; i < n; i++ {
		z := logits.Data[i*classes : (i+1)*classes]
		y := int(labels[i])
		above := 0
		for j, v := range z {
			if v > z[y] || (v == z[y] && j < y) {
				above++
			}
		}
		if above < k {
			hits++
		}
	}
	return hits
}
