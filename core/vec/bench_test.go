package vec

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkVec times each function on one run of a channel as BatchNorm
// sees it in ResNet-18 at width 16: 7×7 and 28×28 planes, with a ns/elem
// metric.
func BenchmarkVec(b *testing.B) {
	for _, n := range []int{49, 784} {
		r := rand.New(rand.NewPCG(1, 2))
		x := fill(r, n, func(r *rand.Rand) float32 { return float32(r.NormFloat64()) })
		dy := fill(r, n, func(r *rand.Rand) float32 { return float32(r.NormFloat64()) })
		dst := make([]float32, n)
		for _, f := range []struct {
			name string
			f    func()
		}{
			{"ShiftedSums", func() { ShiftedSums(x, 0.1) }},
			{"Normalize", func() { Normalize(dst, x, 0.1, 1.1, 1.2, 0.3) }},
			{"DotHat", func() { DotHat(dy, x, 0.1, 1.1) }},
			{"NormGrad", func() { NormGrad(dst, dy, x, 0.1, 1.1, 1.2, 0.3, 0.4) }},
		} {
			for _, im := range impls {
				b.Run(fmt.Sprintf("f=%s/n=%d/impl=%s", f.name, n, im.name), func(b *testing.B) {
					withImpl(im, func() {
						for b.Loop() {
							f.f()
						}
					})
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
				})
			}
		}
	}
}

// BenchmarkElementwise times the elementwise functions on one chunk of a
// [128,16,28,28] activation as core/nn hands it to a goroutine (half of it,
// on two threads), in memory rather than cache, and on a run that fits in
// L1, with a GB/s metric for the bytes moved.
func BenchmarkElementwise(b *testing.B) {
	for _, n := range []int{2048, 128 * 16 * 28 * 28 / 2} {
		r := rand.New(rand.NewPCG(1, 2))
		x := fill(r, n, func(r *rand.Rand) float32 { return float32(r.NormFloat64()) })
		y := fill(r, n, func(r *rand.Rand) float32 { return float32(r.NormFloat64()) })
		dst := make([]float32, n)
		for _, op := range elementwiseOps {
			moved := 3.0 // x, y, dst
			if op.name == "Relu" {
				moved = 2
			}
			for _, im := range impls {
				b.Run(fmt.Sprintf("f=%s/n=%d/impl=%s", op.name, n, im.name), func(b *testing.B) {
					withImpl(im, func() {
						for b.Loop() {
							op.f(dst, x, y)
						}
					})
					b.ReportMetric(moved*4*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
				})
			}
		}
	}
}

// BenchmarkDots times the pass's functions on one chunk of core/align's
// pass (16384 elements, in L2) and on half a [128,16,28,28] activation (in
// memory, as on two threads), with a GB/s metric for the bytes moved.
func BenchmarkDots(b *testing.B) {
	for _, n := range []int{1 << 14, 128 * 16 * 28 * 28 / 2} {
		r := rand.New(rand.NewPCG(1, 2))
		u := fill(r, n, func(r *rand.Rand) float32 { return float32(r.NormFloat64()) })
		v := fill(r, n, func(r *rand.Rand) float32 { return float32(r.NormFloat64()) })
		dst := make([]float32, n)
		for _, f := range dotsForms {
			moved := 1.0
			if f.hasV {
				moved++
			}
			if f.dst {
				moved++
			}
			for _, im := range impls {
				b.Run(fmt.Sprintf("f=%s/n=%d/impl=%s", f.name, n, im.name), func(b *testing.B) {
					withImpl(im, func() {
						for b.Loop() {
							f.f(dst, u, v, 0.5, 1.5)
						}
					})
					b.ReportMetric(moved*4*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
				})
			}
		}
	}
}

// BenchmarkPadRows times PadRows as core/conv uses it on ResNet-18's
// planes: a 28×28 (14×14, 7×7) channel into a band's rows with one
// leading zero, in cache, with a ns/row metric.
func BenchmarkPadRows(b *testing.B) {
	for _, w := range []int{28, 14, 7} {
		src, dst := make([]float32, w*w), make([]float32, w*(w+1))
		for _, im := range impls {
			b.Run(fmt.Sprintf("width=%d/impl=%s", w, im.name), func(b *testing.B) {
				withImpl(im, func() {
					for b.Loop() {
						PadRows(dst, w+1, src, w, w, 1, w)
					}
				})
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*w), "ns/row")
			})
		}
	}
}
