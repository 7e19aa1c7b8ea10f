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

// BenchmarkSgemmTrans times the transposed calls of conv backward passes
// (shapes as M×N×K of op(A)·op(B)) on the best implementation: data
// gradients Wᵀ·dY (tA) and filter gradients dY·colᵀ (tB).
func BenchmarkSgemmTrans(b *testing.B) {
	cases := []struct {
		tA, tB  bool
		m, n, k int
	}{
		{true, false, 576, 3136, 64},  // dcol = Wᵀ·dY, 64→64 channels at 56×56
		{false, true, 64, 576, 3136},  // dW = dY·colᵀ
		{true, false, 1152, 784, 128}, // 128 channels at 28×28
		{false, true, 128, 1152, 784},
	}
	for _, tc := range cases {
		m, n, k := tc.m, tc.n, tc.k
		lda, ldb := k, n
		if tc.tA {
			lda = m
		}
		if tc.tB {
			ldb = k
		}
		a, bb, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		b.Run(fmt.Sprintf("impl=%s/tA=%v/tB=%v/shape=%dx%dx%d", best.name, tc.tA, tc.tB, m, n, k), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sgemm(best, tc.tA, tc.tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkRowsKernel times each rows kernel on rows of B where a
// convolution has them: row p at p·stride floats into one slice, stride
// odd so most rows start off a vector boundary (misaligned, as shifted
// image rows are); compare with BenchmarkKernel's packed panel.
func BenchmarkRowsKernel(b *testing.B) {
	const k, stride = 384, 37
	for _, im := range impls {
		if im.rowsKernel == nil {
			continue
		}
		ap := make([]float32, im.mr*k)
		rows := make([]float32, k*stride+im.nr)
		off := make([]int, k)
		for p := range off {
			off[p] = p * stride
		}
		c := make([]float32, im.mr*im.nr)
		b.Run(fmt.Sprintf("impl=%s/k=%d", im.name, k), func(b *testing.B) {
			for b.Loop() {
				im.rowsKernel(k, ap, rows, off, c, im.nr, 1)
			}
			b.ReportMetric(2*float64(im.mr*im.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
