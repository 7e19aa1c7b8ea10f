package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// The scalar loops elemLoop ran before core/vec, kept as the reference:
// its results must stay these bits.
func scalarElem(op int, dst, a, b []float32) {
	for i, v := range a[:len(dst)] {
		switch op {
		case opRelu:
			dst[i] = max(v, 0)
		case opReluGrad:
			t := int64(math.Float32bits(b[i])) - 1
			m := uint32(((t - 0x7f800000) &^ t) >> 63)
			dst[i] = math.Float32frombits(math.Float32bits(v) & m)
		case opAdd:
			dst[i] = v + b[i]
		case opAddRelu:
			dst[i] = max(v+b[i], 0)
		}
	}
}

var elemOps = []struct {
	name string
	op   int
}{{"relu", opRelu}, {"reluGrad", opReluGrad}, {"add", opAdd}, {"addRelu", opAddRelu}}

// elemSpecials are zeros, infinities, NaNs (quiet and signalling, both
// signs), subnormals and the extremes of the normal range.
var elemSpecials = func() []float32 {
	var s []float32
	for _, u := range []uint32{0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000,
		0x7fc12345, 0xff800001, 0x7f800001, 1, 0x80000001, 0x007fffff, 0x807fffff,
		0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff, 0x3f800000, 0xbf800000} {
		s = append(s, math.Float32frombits(u))
	}
	return s
}()

// TestElemLoopBits checks that each op gives the scalar loops' bits, NaN
// payloads included, on every pair of special values, and on random
// values of lengths that split into several parallel ranges with ragged
// ends. The one exception is a sum of two NaNs, which is either: which
// one Go's a + b returns is up to the compiler's register allocation
// (elemLoop's own scalar loops, before core/vec, kept b's NaN in opAdd and
// a's in opAddRelu; core/vec keeps a's), so there any NaN passes.
func TestElemLoopBits(t *testing.T) {
	var pa, pb []float32
	for _, u := range elemSpecials {
		for _, v := range elemSpecials {
			pa, pb = append(pa, u), append(pb, v)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	cases := [][2][]float32{{pa, pb}}
	for _, n := range []int{0, 1, 7, 9, 100, 3*elemGrain + 5, 9*elemGrain + 13} {
		a, b := make([]float32, n), make([]float32, n)
		for i := range a {
			a[i], b[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
			if r.IntN(16) == 0 {
				a[i] = elemSpecials[r.IntN(len(elemSpecials))]
			}
			if r.IntN(16) == 0 {
				b[i] = elemSpecials[r.IntN(len(elemSpecials))]
			}
		}
		cases = append(cases, [2][]float32{a, b})
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var l elemLoop
	for _, c := range cases {
		a, b := c[0], c[1]
		for _, o := range elemOps {
			want, got := make([]float32, len(a)), make([]float32, len(a))
			scalarElem(o.op, want, a, b)
			l.run(o.op, got, a, b)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) &&
					!(o.op != opRelu && o.op != opReluGrad && a[i] != a[i] && b[i] != b[i] && got[i] != got[i]) {
					t.Errorf("n=%d %s(%#08x, %#08x)[%d] = %#08x, want %#08x", len(a), o.name,
						math.Float32bits(a[i]), math.Float32bits(b[i]), i, math.Float32bits(got[i]), math.Float32bits(want[i]))
					break
				}
			}
		}
	}
}

// TestReluGradSpecialValues checks opReluGrad against its definition, dy
// where y > 0, on zeros, infinities, NaNs and subnormals.
func TestReluGradSpecialValues(t *testing.T) {
	nan := float32(math.NaN())
	ys := []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
		nan, -nan, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32}
	dy := make([]float32, len(ys))
	for i := range dy {
		dy[i] = float32(i) + 0.5
	}
	got := make([]float32, len(ys))
	var l elemLoop
	l.run(opReluGrad, got, dy, ys)
	for i, y := range ys {
		want := float32(0)
		if y > 0 {
			want = dy[i]
		}
		if got[i] != want {
			t.Errorf("reluGrad(dy=%v, y=%v) = %v, want %v", dy[i], y, got[i], want)
		}
	}
}

// BenchmarkElementwise times each op on a [128,16,28,28] activation of
// ResNet-18 at width 16 (the BenchmarkTrainStep network), in parallel as
// the layers run it, with a GB/s metric for the bytes moved.
func BenchmarkElementwise(b *testing.B) {
	n := 128 * 16 * 28 * 28
	r := rand.New(rand.NewPCG(1, 2))
	x, y, dst := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], y[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
	}
	for _, o := range elemOps {
		moved := 3.0 // a, b, dst
		if o.op == opRelu {
			moved = 2
		}
		b.Run(fmt.Sprintf("op=%s", o.name), func(b *testing.B) {
			b.ReportAllocs()
			var l elemLoop
			for b.Loop() {
				l.run(o.op, dst, x, y)
			}
			b.ReportMetric(moved*4*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
