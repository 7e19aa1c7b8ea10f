package conv

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/untied-ml/untied/core/gemm"
)

// benchLayers are the convolutions of ResNet-18 at width 16 with the
// small-image stem on 28×28 inputs (the BenchmarkTrainStep network).
var benchLayers = []struct {
	name string
	s    Shape
}{
	{"stem", Shape{C: 1, H: 28, W: 28, K: 16, KH: 3, KW: 3, Stride: 1, Pad: 1}},
	{"l1_3x3", Shape{C: 16, H: 28, W: 28, K: 16, KH: 3, KW: 3, Stride: 1, Pad: 1}},
	{"l1_proj", Shape{C: 16, H: 28, W: 28, K: 16, KH: 1, KW: 1, Stride: 1}},
	{"l2_3x3s2", Shape{C: 16, H: 28, W: 28, K: 32, KH: 3, KW: 3, Stride: 2, Pad: 1}},
	{"l2_3x3", Shape{C: 32, H: 14, W: 14, K: 32, KH: 3, KW: 3, Stride: 1, Pad: 1}},
	{"l2_proj_s2", Shape{C: 16, H: 28, W: 28, K: 32, KH: 1, KW: 1, Stride: 2}},
	{"l3_3x3s2", Shape{C: 32, H: 14, W: 14, K: 64, KH: 3, KW: 3, Stride: 2, Pad: 1}},
	{"l3_3x3", Shape{C: 64, H: 7, W: 7, K: 64, KH: 3, KW: 3, Stride: 1, Pad: 1}},
	{"l4_3x3s2", Shape{C: 64, H: 7, W: 7, K: 128, KH: 3, KW: 3, Stride: 2, Pad: 1}},
	{"l4_proj_s2", Shape{C: 64, H: 7, W: 7, K: 128, KH: 1, KW: 1, Stride: 2}},
	{"l4_3x3", Shape{C: 128, H: 4, W: 4, K: 128, KH: 3, KW: 3, Stride: 1, Pad: 1}},
}

func BenchmarkConv(b *testing.B) {
	for _, l := range benchLayers {
		op, err := New(l.s)
		if err != nil {
			b.Fatal(err)
		}
		benchPasses(b, "layer="+l.name, op)
	}
}

// BenchmarkConvBand times every layer both ways, on the banded layout and
// on the lowering, whichever New would pick: the measurement behind
// Shape.bandPays.
func BenchmarkConvBand(b *testing.B) {
	for _, l := range benchLayers {
		for _, on := range []bool{false, true} {
			op, err := New(l.s)
			if err != nil {
				b.Fatal(err)
			}
			setBanded(op, on)
			benchPasses(b, fmt.Sprintf("layer=%s/band=%v", l.name, on), op)
		}
	}
}

// BenchmarkConvBandCopies times the forward pass of every stride-1 layer
// on the band two ways: whole (laying the images out on the band, the
// product, the outputs back to NCHW) and the product alone on a band
// already laid out, which is what a conv would cost if activations stayed
// in the band's layout between layers (docs/engine.md, "Which layout to
// keep").
func BenchmarkConvBandCopies(b *testing.B) {
	const n = 128
	for _, l := range benchLayers {
		op, err := New(l.s)
		if err != nil {
			b.Fatal(err)
		}
		if !op.banded || op.nchw || l.s.Stride != 1 || op.group(n) < n {
			continue
		}
		s := op.Shape
		r := rand.New(rand.NewPCG(1, 1))
		x, w := randn(r, n*s.C*s.H*s.W), randn(r, s.FilterLen())
		y := make([]float32, n*s.K*s.OutH()*s.OutW())
		ckk := s.C * s.KH * s.KW
		flops := 2 * float64(n) * float64(s.K*s.OutH()*s.OutW()) * float64(ckk)
		parts := []struct {
			name string
			f    func()
		}{
			{"whole", func() { op.Forward(n, x, w, y) }},
			{"product", func() {
				gemm.SgemmRows(false, false, s.K, op.band.n, ckk, 1, w, ckk, op.scr.xp, op.band.off, 0, op.scr.mat, op.band.n)
			}},
		}
		for _, p := range parts {
			b.Run(fmt.Sprintf("layer=%s/part=%s", l.name, p.name), func(b *testing.B) {
				op.Forward(n, x, w, y) // lays the band out for "product"
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					p.f()
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkConvPointwise times ResNet-50's 1×1 convs at width 16 on 28×28
// inputs, on the NCHW batch and on the band or lowering: the measurement
// behind Shape.nchwPays.
func BenchmarkConvPointwise(b *testing.B) {
	for _, s := range [][3]int{{64, 16, 28}, {16, 64, 28}, {128, 32, 14}, {32, 128, 14}, {256, 64, 7}, {64, 256, 7}, {512, 128, 4}, {128, 512, 4}} {
		for _, on := range []bool{false, true} {
			op, err := New(Shape{C: s[0], H: s[2], W: s[2], K: s[1], KH: 1, KW: 1, Stride: 1})
			if err != nil {
				b.Fatal(err)
			}
			op.nchw = on
			benchPasses(b, fmt.Sprintf("c=%d/k=%d/size=%d/nchw=%v", s[0], s[1], s[2], on), op)
		}
	}
}

// benchPasses runs one benchmark per pass of op on a batch of 128, named
// name/pass=….
func benchPasses(b *testing.B, name string, op *Op) {
	const n = 128
	s := op.Shape
	r := rand.New(rand.NewPCG(1, 1))
	x := randn(r, n*s.C*s.H*s.W)
	w := randn(r, s.FilterLen())
	y := randn(r, n*s.K*s.OutH()*s.OutW())
	flops := 2 * float64(n) * float64(s.K*s.OutH()*s.OutW()) * float64(s.C*s.KH*s.KW)
	passes := []struct {
		name string
		f    func()
	}{
		{"fwd", func() { op.Forward(n, x, w, y) }},
		{"bwddata", func() { op.BackwardData(n, y, w, x) }},
		{"bwdfilter", func() { op.BackwardFilter(n, x, y, w, 0) }},
	}
	for _, p := range passes {
		b.Run(fmt.Sprintf("%s/pass=%s", name, p.name), func(b *testing.B) {
			p.f()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				p.f()
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
