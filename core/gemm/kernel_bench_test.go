package gemm

import (
	"fmt"
	"testing"
)

// BenchmarkKernel times one micro-kernel call on packed panels that stay in
// L1/L2, the ceiling for Sgemm.
func BenchmarkKernel(b *testing.B) {
	for _, im := range impls {
		for _, k := range []int{64, 256, 384, 512} {
			b.Run(fmt.Sprintf("impl=%s/k=%d", im.name, k), func(b *testing.B) {
				ap := make([]float32, im.mr*k)
				bp := make([]float32, im.nr*k)
				c := make([]float32, im.mr*im.nr)
				for b.Loop() {
					im.kernel(k, ap, bp, c, im.nr, 1)
				}
				b.ReportMetric(2*float64(im.mr*im.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
