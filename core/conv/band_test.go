package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestBandMatchesLowering: on every geometry, forward and backward-data give bit for bit what the lowering gives (the
// same products in the same order), for groups of changing size one after
// another (the band is laid out anew, its padding cleared, when the size
// changes). The filter gradient sums in another order (gemm's dot path):
// TestConvAgainstDirect checks it, on the band where it pays and with
// TestBandAgainstDirect everywhere else.
func TestBandMatchesLowering(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	big := Shape{C: 12, H: 20, W: 20, K: 13, KH: 3, KW: 3, Stride: 1, Pad: 1}
	for _, s := range append(shapes[:len(shapes):len(shapes)], big) {
		banded, _ := New(s)
		lowered, _ := New(s)
		setBanded(banded, true)
		setBanded(lowered, false)
		for _, n := range []int{3, 1, 4, 4} {
			what := fmt.Sprintf("%+v n=%d", s, n)
			x, w := randn(r, n*s.C*s.H*s.W), randn(r, s.FilterLen())
			outs := n * s.K * s.OutH() * s.OutW()
			y, want := randn(r, outs), randn(r, outs)
			banded.Forward(n, x, w, y)
			lowered.Forward(n, x, w, want)
			sameBits(t, what+" y", y, want)
			dy := randn(r, outs)
			dx, wantDx := randn(r, len(x)), randn(r, len(x))
			banded.BackwardData(n, dy, w, dx)
			lowered.BackwardData(n, dy, w, wantDx)
			sameBits(t, what+" dx", dx, wantDx)
		}
	}
}

// setBanded makes o and its backward-data Op use the band or not.
func setBanded(o *Op, on bool) {
	o.banded = on
	if o.flip != nil {
		o.flip.banded = on
	}
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestBandAgainstDirect runs TestConvAgainstDirect's checks with the band
// on for every geometry, wherever it would pay or not.
func TestBandAgainstDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, s := range shapes {
		for _, n := range []int{1, 3} {
			op, _ := New(s)
			setBanded(op, true)
			checkAgainstDirect(t, fmt.Sprintf("%+v n=%d: ", s, n), op, r, n)
		}
	}
}
