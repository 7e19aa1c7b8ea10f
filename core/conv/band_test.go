package conv

import (
	"fmt"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/core/vec"
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

// TestPointwiseMatchesLayouts: a pointwise conv's forward (single and
// paired) and backward-data on the NCHW batch give bit for bit what the
// band and the lowering give (each output element sums over the channels
// in the same order), at batch sizes that split the work differently. Its
// filter gradient, summed in an order of its own (gemm.SgemmRowsSum), is
// within the float32 bound of the definition.
func TestPointwiseMatchesLayouts(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, s := range []Shape{
		{C: 4, H: 5, W: 5, K: 3, KH: 1, KW: 1, Stride: 1},
		{C: 16, H: 28, W: 28, K: 64, KH: 1, KW: 1, Stride: 1},
		{C: 300, H: 3, W: 3, K: 9, KH: 1, KW: 1, Stride: 1}, // C past one k block
	} {
		for _, n := range []int{1, 3, 16} {
			what := fmt.Sprintf("%+v n=%d", s, n)
			x, w, w2 := randn(r, n*s.C*s.H*s.W), randn(r, s.FilterLen()), randn(r, s.FilterLen())
			outs := n * s.K * s.OutH() * s.OutW()
			dy := randn(r, outs)
			type result struct{ y, y2, dx []float32 }
			want := directConv(s, n, x, w, dy)
			var results []result
			for _, layout := range []string{"nchw", "band", "lowering"} {
				op, _ := New(s)
				op.nchw = layout == "nchw"
				setBanded(op, layout == "band")
				res := result{randn(r, outs), randn(r, outs), randn(r, len(x))}
				op.ForwardPair(n, x, w, w2, res.y, res.y2)
				op.BackwardData(n, dy, w, res.dx)
				dw := randn(r, len(w))
				op.BackwardFilter(n, x, dy, dw, 0)
				within(t, what+" "+layout+" dw", dw, want.dw, want.dwAbs, n*s.H*s.W)
				y := randn(r, outs)
				op.Forward(n, x, w, y)
				sameBits(t, what+" "+layout+" Forward against ForwardPair", y, res.y)
				results = append(results, res)
			}
			for i, layout := range []string{"band", "lowering"} {
				got := results[i+1]
				sameBits(t, what+" y, "+layout, got.y, results[0].y)
				sameBits(t, what+" y2, "+layout, got.y2, results[0].y2)
				sameBits(t, what+" dx, "+layout, got.dx, results[0].dx)
			}
		}
	}
}

// TestPassesAllocateNothing: after a first call, no pass allocates, on
// the band (Backward with dY laid out once included), the lowering or the
// NCHW batch, nor when a batch takes two groups of different sizes (the
// last shape: 4608·196 floats an image, groups of 18 and 2).
func TestPassesAllocateNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, c := range []struct {
		s Shape
		n int
	}{
		{Shape{C: 8, H: 14, W: 14, K: 8, KH: 3, KW: 3, Stride: 1, Pad: 1}, 4},
		{Shape{C: 8, H: 14, W: 14, K: 16, KH: 3, KW: 3, Stride: 2, Pad: 1}, 4},
		{Shape{C: 8, H: 4, W: 4, K: 8, KH: 3, KW: 3, Stride: 1, Pad: 1}, 4},
		{Shape{C: 8, H: 14, W: 14, K: 16, KH: 1, KW: 1, Stride: 1}, 4},
		{Shape{C: 512, H: 14, W: 14, K: 8, KH: 3, KW: 3, Stride: 1, Pad: 1}, 20},
	} {
		s, n := c.s, c.n
		op, _ := New(s)
		x, w := randn(r, n*s.C*s.H*s.W), randn(r, s.FilterLen())
		y, dw := randn(r, n*s.K*s.OutH()*s.OutW()), randn(r, s.FilterLen())
		dx := randn(r, len(x))
		passes := func() {
			op.Forward(n, x, w, y)
			op.Backward(n, x, y, dw, 0, w, dx)
		}
		if a := testing.AllocsPerRun(5, passes); a != 0 {
			t.Errorf("%+v: %v allocations per forward and backward", s, a)
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

// TestLoweringAgainstDirect runs TestConvAgainstDirect's checks with the
// band off for every geometry, and on small outputs (vec.Gather16's path)
// with batches whose GEMM blocks begin inside an image.
func TestLoweringAgainstDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	small := []Shape{
		{C: 8, H: 4, W: 4, K: 8, KH: 3, KW: 3, Stride: 1, Pad: 1},
		{C: 3, H: 3, W: 3, K: 4, KH: 3, KW: 3, Stride: 1, Pad: 1},
		{C: 5, H: 7, W: 7, K: 4, KH: 3, KW: 3, Stride: 2, Pad: 1}, // a plane of 49, output 16
		{C: 4, H: 4, W: 4, K: 3, KH: 1, KW: 1, Stride: 2, Pad: 0},
	}
	for _, s := range append(shapes[:len(shapes):len(shapes)], small...) {
		for _, n := range []int{1, 3, 37} {
			op, _ := New(s)
			setBanded(op, false)
			checkAgainstDirect(t, fmt.Sprintf("%+v n=%d: ", s, n), op, r, n)
		}
	}
}

// TestSmallTaps: the tables of a 4×4 plane's 3×3 taps read what the
// definition says, −1 in the padding; larger outputs have none.
func TestSmallTaps(t *testing.T) {
	s := Shape{C: 1, H: 4, W: 4, K: 1, KH: 3, KW: 3, Stride: 1, Pad: 1}
	taps := s.smallTaps()
	if len(taps) != 9 {
		t.Fatalf("%d tables, want 9", len(taps))
	}
	// Tap (0, 0) reads the pixel up and to the left: position (1, 1) reads (0, 0).
	if got := taps[0][5]; got != 0 {
		t.Errorf("tap (0,0) at (1,1) reads %d, want 0", got)
	}
	if got := taps[0][0]; got != -1 {
		t.Errorf("tap (0,0) at (0,0) reads %d, want −1 (padding)", got)
	}
	if got := taps[8][15]; got != -1 {
		t.Errorf("tap (2,2) at (3,3) reads %d, want −1 (padding)", got)
	}
	if got := taps[4][7]; got != 7 {
		t.Errorf("centre tap at (1,3) reads %d, want 7", got)
	}
	if (Shape{C: 1, H: 5, W: 4, K: 1, KH: 3, KW: 3, Stride: 1, Pad: 1}).smallTaps() != nil {
		t.Error("an output of 20 positions has tables")
	}
}

// TestBackwardMatchesPasses: Backward gives BackwardFilter's and
// BackwardData's bits, on the band with dY laid out once where it can be
// (the geometries of ResNet's stride-1 layers, and others) and through the
// two passes elsewhere; with a Scratch shared with another Op, whose
// passes run in between and leave their data in it.
func TestBackwardMatchesPasses(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	shared := 0
	geoms := append(shapes[:len(shapes):len(shapes)],
		Shape{C: 5, H: 9, W: 7, K: 6, KH: 3, KW: 3, Stride: 1, Pad: 1},
		Shape{C: 12, H: 20, W: 20, K: 13, KH: 3, KW: 3, Stride: 1, Pad: 1})
	other, _ := New(Shape{C: 7, H: 11, W: 11, K: 9, KH: 3, KW: 3, Stride: 1, Pad: 1})
	for _, s := range geoms {
		for _, n := range []int{1, 3, 4} {
			op, _ := New(s)
			ref, _ := New(s)
			scr := new(Scratch)
			op.Share(scr)
			other.Share(scr)
			if op.sharesDY(n) {
				shared++
			}
			what := fmt.Sprintf("%+v n=%d", s, n)
			x, wT := randn(r, n*s.C*s.H*s.W), randn(r, s.FilterLen())
			dy := randn(r, n*s.K*s.OutH()*s.OutW())
			for _, beta := range []float32{0, 1} {
				// Another conv's passes fill the shared buffers with its data.
				ox := randn(r, 2*other.C*other.H*other.W)
				oy := make([]float32, 2*other.K*other.OutH()*other.OutW())
				other.Forward(2, ox, randn(r, other.FilterLen()), oy)
				other.BackwardData(2, oy, randn(r, other.FilterLen()), ox)
				dw, wantDw := randn(r, s.FilterLen()), randn(r, s.FilterLen())
				copy(wantDw, dw)
				dx, wantDx := randn(r, len(x)), randn(r, len(x))
				op.Backward(n, x, dy, dw, beta, wT, dx)
				ref.BackwardFilter(n, x, dy, wantDw, beta)
				ref.BackwardData(n, dy, wT, wantDx)
				sameBits(t, what+" dw", dw, wantDw)
				sameBits(t, what+" dx", dx, wantDx)
			}
		}
	}
	if shared == 0 {
		t.Fatal("no geometry laid dY out once")
	}
	t.Logf("%d of %d cases laid dY out once", shared, 3*len(geoms))
}

// TestInputOnGrid: every pass that takes x gives the same bits with x on
// InputGrid as with x in NCHW order, and the geometries that cannot read
// a grid have none.
func TestInputOnGrid(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	lenet := Shape{C: 6, H: 14, W: 14, K: 16, KH: 5, KW: 5, Stride: 1} // LeNet's second conv: no padding
	for _, s := range append(gridShapes, lenet) {
		for _, n := range []int{1, 5} {
			what := fmt.Sprintf("%+v n=%d", s, n)
			op, _ := New(s)
			g := op.InputGrid(n)
			if g == nil {
				t.Fatalf("%s: no input grid", what)
			}
			if op.InputGrid(n) != g {
				t.Errorf("%s: InputGrid gave another pointer the second time", what)
			}
			x := randn(r, n*s.C*s.H*s.W)
			xg := laidOnGrid(g, x, n, s.C, s.H, s.W)
			xg0 := append([]float32(nil), xg.Data...)
			w, w2 := randn(r, s.FilterLen()), randn(r, s.FilterLen())
			outs := n * s.K * s.OutH() * s.OutW()
			dy, dy2 := randn(r, outs), randn(r, outs)
			type result struct{ y, p, p2, dw, dwf, dwp, dwp2, dx []float32 }
			var res [2]result
			for k, on := range []bool{false, true} {
				in := x
				if on {
					in = xg.Data
				}
				op.SetInputOnGrid(on)
				rs := result{y: make([]float32, outs), dwf: make([]float32, len(w)), p: make([]float32, outs), p2: make([]float32, outs),
					dw: make([]float32, len(w)), dwp: make([]float32, len(w)), dwp2: make([]float32, len(w)), dx: make([]float32, len(x))}
				op.Forward(n, in, w, rs.y)
				op.ForwardPair(n, in, w, w2, rs.p, rs.p2)
				op.Backward(n, in, dy, rs.dw, 0, w, rs.dx)
				op.BackwardFilterPair(n, in, dy, rs.dwp, 0, dy2, rs.dwp2, 0)
				op.BackwardFilter(n, in, dy, rs.dwf, 0)
				res[k] = rs
			}
			op.SetInputOnGrid(false)
			for name, pair := range map[string][2][]float32{
				"Forward": {res[0].y, res[1].y}, "ForwardPair": {res[0].p, res[1].p}, "ForwardPair 2": {res[0].p2, res[1].p2},
				"Backward dw": {res[0].dw, res[1].dw}, "Backward dx": {res[0].dx, res[1].dx},
				"BackwardFilterPair": {res[0].dwp, res[1].dwp}, "BackwardFilterPair 2": {res[0].dwp2, res[1].dwp2},
				"BackwardFilter": {res[0].dwf, res[1].dwf},
			} {
				sameBits(t, what+" "+name+" on the grid", pair[1], pair[0])
			}
			for i, v := range xg.Data {
				if math.Float32bits(v) != math.Float32bits(xg0[i]) {
					t.Fatalf("%s: x on the grid changed at %d", what, i)
				}
			}
		}
	}
	for _, s := range noGridShapes {
		op, _ := New(s)
		if g := op.InputGrid(20); g != nil {
			t.Errorf("%+v: input grid %+v, want none", s, *g)
		}
	}
}

// TestInputGridAlternating: a conv fed two batch sizes in turn (a rule's
// noise batch of n beside the data's N) keeps one grid per size: each
// call gives the pointer of its size, unchanged by the other size's
// passes, with no allocation once both exist, and a pass on either grid
// gives the bits it gives when that size runs alone.
func TestInputGridAlternating(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, s := range gridShapes {
		const big, small = 6, 2
		op, _ := New(s)
		op.SetInputOnGrid(true)
		w := randn(r, s.FilterLen())
		type batch struct {
			n    int
			g    *tensor.Grid
			geom tensor.Grid
			x    *tensor.Tensor
			want []float32 // Forward alone, on a fresh Op
		}
		var bs [2]batch
		for i, n := range []int{big, small} {
			alone, _ := New(s)
			alone.SetInputOnGrid(true)
			x := randn(r, n*s.C*s.H*s.W)
			want := make([]float32, n*s.K*s.OutH()*s.OutW())
			alone.Forward(n, laidOnGrid(alone.InputGrid(n), x, n, s.C, s.H, s.W).Data, w, want)
			g := op.InputGrid(n)
			if g == nil {
				t.Fatalf("%+v: no input grid for %d images", s, n)
			}
			bs[i] = batch{n, g, *g, laidOnGrid(g, x, n, s.C, s.H, s.W), want}
		}
		for round := 0; round < 3; round++ {
			for _, b := range bs {
				if g := op.InputGrid(b.n); g != b.g || *b.g != b.geom {
					t.Fatalf("%+v round %d: InputGrid(%d) = %p, want %p %+v", s, round, b.n, g, b.g, b.geom)
				}
				y := make([]float32, len(b.want))
				op.Forward(b.n, b.x.Data, w, y)
				sameBits(t, fmt.Sprintf("%+v round %d n=%d Forward on its grid", s, round, b.n), y, b.want)
			}
		}
		if a := testing.AllocsPerRun(10, func() { op.InputGrid(big); op.InputGrid(small) }); a != 0 {
			t.Errorf("%+v: %v allocations alternating InputGrid(%d) and InputGrid(%d), want 0", s, a, big, small)
		}
	}
}

// gridShapes are stride-1 convs on the band, with a flipped conv on a
// band of their grid; noGridShapes are convs whose passes read neither x
// nor dY on a grid (strided, pointwise on NCHW, lowered, two groups at
// n = 20).
var (
	gridShapes = []Shape{
		{C: 1, H: 28, W: 28, K: 16, KH: 3, KW: 3, Stride: 1, Pad: 1},
		{C: 16, H: 14, W: 14, K: 8, KH: 3, KW: 3, Stride: 1, Pad: 1},
		{C: 8, H: 7, W: 7, K: 16, KH: 3, KW: 3, Stride: 1, Pad: 1},
	}
	noGridShapes = []Shape{
		{C: 8, H: 14, W: 14, K: 16, KH: 3, KW: 3, Stride: 2, Pad: 1},
		{C: 8, H: 14, W: 14, K: 16, KH: 1, KW: 1, Stride: 1},
		{C: 128, H: 4, W: 4, K: 128, KH: 3, KW: 3, Stride: 1, Pad: 1},
		{C: 512, H: 14, W: 14, K: 8, KH: 3, KW: 3, Stride: 1, Pad: 1},
	}
)

// laidOnGrid returns the [n, c, h, w] batch x laid out on g.
func laidOnGrid(g *tensor.Grid, x []float32, n, c, h, w int) *tensor.Tensor {
	t := tensor.OnGrid(nil, g, n, c, h, w)
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			t.SetPlane(i, ch, x[(i*c+ch)*h*w:])
		}
	}
	return t
}

// TestForwardSums: ForwardSums gives Forward's output and, on the band,
// the lowering and the NCHW batch, each plane's vec.ShiftedSums with
// channel k's first value as the shift.
func TestForwardSums(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for _, c := range []struct {
		s      Shape
		gather bool
	}{
		{Shape{C: 3, H: 9, W: 9, K: 5, KH: 3, KW: 3, Stride: 1, Pad: 1}, true},
		{Shape{C: 16, H: 7, W: 7, K: 16, KH: 3, KW: 3, Stride: 1, Pad: 1}, true},
		{Shape{C: 8, H: 14, W: 14, K: 16, KH: 3, KW: 3, Stride: 2, Pad: 1}, true},
		{Shape{C: 128, H: 4, W: 4, K: 128, KH: 3, KW: 3, Stride: 1, Pad: 1}, true}, // lowered
		{Shape{C: 64, H: 7, W: 7, K: 16, KH: 1, KW: 1, Stride: 1}, true},           // lowered
		{Shape{C: 8, H: 14, W: 14, K: 16, KH: 1, KW: 1, Stride: 1}, true},          // NCHW
	} {
		s, n := c.s, 3
		op, _ := New(s)
		x, w := randn(r, n*s.C*s.H*s.W), randn(r, s.FilterLen())
		p := s.OutH() * s.OutW()
		want, got := make([]float32, n*s.K*p), make([]float32, n*s.K*p)
		op.Forward(n, x, w, want)
		sums := make([]float64, 2*n*s.K)
		for i := range sums {
			sums[i] = -1
		}
		ok := op.ForwardSums(n, x, w, got, sums)
		sameBits(t, fmt.Sprintf("%+v ForwardSums output", s), got, want)
		if ok != c.gather {
			t.Fatalf("%+v: ForwardSums reported %v", s, ok)
		}
		for i := 0; i < n; i++ {
			for k := 0; k < s.K; k++ {
				a, b := -1.0, -1.0
				if ok {
					a, b = vec.ShiftedSums(want[(i*s.K+k)*p:(i*s.K+k+1)*p], float64(want[k*p]))
				}
				if at := 2 * (i*s.K + k); sums[at] != a || sums[at+1] != b {
					t.Fatalf("%+v image %d channel %d: sums %v, %v, want %v, %v", s, i, k, sums[at], sums[at+1], a, b)
				}
			}
		}
	}
}

// TestOutputGradOnGrid: Backward and BackwardData give the same bits with
// dy on OutputGradGrid as with dy in NCHW order; the filter-gradient
// passes refuse a dy on a grid, and geometries without a flipped conv on
// a band have no grid.
func TestOutputGradOnGrid(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, s := range gridShapes {
		for _, n := range []int{1, 5} {
			what := fmt.Sprintf("%+v n=%d", s, n)
			op, _ := New(s)
			g := op.OutputGradGrid(n)
			if g == nil {
				t.Fatalf("%s: no output-gradient grid", what)
			}
			oh, ow := s.OutH(), s.OutW()
			dy := randn(r, n*s.K*oh*ow)
			dyg := laidOnGrid(g, dy, n, s.K, oh, ow)
			dyg0 := append([]float32(nil), dyg.Data...)
			x, w := randn(r, n*s.C*s.H*s.W), randn(r, s.FilterLen())
			var dw, dx, dxd [2][]float32
			for k, on := range []bool{false, true} {
				in := dy
				if on {
					in = dyg.Data
				}
				op.SetOutputGradOnGrid(on)
				dw[k], dx[k], dxd[k] = make([]float32, len(w)), make([]float32, len(x)), make([]float32, len(x))
				op.Backward(n, x, in, dw[k], 0, w, dx[k])
				op.BackwardData(n, in, w, dxd[k])
			}
			sameBits(t, what+" Backward dw, dy on the grid", dw[1], dw[0])
			sameBits(t, what+" Backward dx, dy on the grid", dx[1], dx[0])
			sameBits(t, what+" BackwardData, dy on the grid", dxd[1], dxd[0])
			sameBits(t, what+" dy on the grid, after the passes", dyg.Data, dyg0)
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s: BackwardFilter took dy on a grid", what)
					}
				}()
				op.BackwardFilter(n, x, dyg.Data, dw[0], 0)
			}()
			op.SetOutputGradOnGrid(false)
		}
	}
	for _, s := range noGridShapes {
		op, _ := New(s)
		if g := op.OutputGradGrid(20); g != nil {
			t.Errorf("%+v: output-gradient grid %+v, want none", s, *g)
		}
	}
}

// TestInputGradOnGrid: BackwardData writes dx on InputGradGrid (the input
// grid) with the values it writes in NCHW order, bit for bit, dy dense or
// on its own grid, and zeros everywhere else, even over a grid holding
// other values in its images; convs with no such grid report none.
func TestInputGradOnGrid(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, s := range gridShapes {
		for _, n := range []int{1, 5} {
			what := fmt.Sprintf("%+v n=%d", s, n)
			op, _ := New(s)
			g := op.InputGradGrid(n)
			if g == nil || g != op.InputGrid(n) {
				t.Fatalf("%s: input-gradient grid %v, want the input grid %v", what, g, op.InputGrid(n))
			}
			oh, ow := s.OutH(), s.OutW()
			dy, w := randn(r, n*s.K*oh*ow), randn(r, s.FilterLen())
			want := make([]float32, n*s.C*s.H*s.W)
			op.BackwardData(n, dy, w, want)
			wantGrid := laidOnGrid(g, want, n, s.C, s.H, s.W)
			dyg := laidOnGrid(op.OutputGradGrid(n), dy, n, s.K, oh, ow)
			for _, onGrid := range []bool{false, true} {
				dx := laidOnGrid(g, randn(r, len(want)), n, s.C, s.H, s.W) // stale values
				in := dy
				if onGrid {
					in = dyg.Data
				}
				op.SetOutputGradOnGrid(onGrid)
				op.SetInputGradOnGrid(true)
				op.BackwardData(n, in, w, dx.Data)
				op.SetInputGradOnGrid(false)
				op.SetOutputGradOnGrid(false)
				sameBits(t, fmt.Sprintf("%s dy on a grid %v: dx on the grid", what, onGrid), dx.Data, wantGrid.Data)
			}
		}
	}
	for _, s := range noGridShapes {
		op, _ := New(s)
		if g := op.InputGradGrid(20); g != nil {
			t.Errorf("%+v: input-gradient grid %+v, want none", s, *g)
		}
	}
}

// TestLayoutChoice pins the layout New picks for the networks' layers, as
// measured (Shape.bandPays, Shape.nchwPays): a rule changed for one shape
// must not move another unmeasured, as a first version of the
// many-channel rule moved LeNet-MNIST's backward-data off the band.
func TestLayoutChoice(t *testing.T) {
	const band, nchw, low = "band", "nchw", "lowering"
	for _, c := range []struct {
		s    Shape
		want string
	}{
		{Shape{C: 16, H: 28, W: 28, K: 16, KH: 3, KW: 3, Stride: 1, Pad: 1}, band},
		{Shape{C: 64, H: 7, W: 7, K: 64, KH: 3, KW: 3, Stride: 1, Pad: 1}, band},
		{Shape{C: 128, H: 4, W: 4, K: 128, KH: 3, KW: 3, Stride: 1, Pad: 1}, low},
		{Shape{C: 16, H: 28, W: 28, K: 32, KH: 3, KW: 3, Stride: 2, Pad: 1}, band},
		{Shape{C: 64, H: 28, W: 28, K: 16, KH: 1, KW: 1, Stride: 1}, nchw},
		{Shape{C: 128, H: 14, W: 14, K: 32, KH: 1, KW: 1, Stride: 1}, nchw},
		{Shape{C: 256, H: 7, W: 7, K: 64, KH: 1, KW: 1, Stride: 1}, low},
		{Shape{C: 128, H: 4, W: 4, K: 512, KH: 1, KW: 1, Stride: 1}, low},
		{Shape{C: 16, H: 28, W: 28, K: 32, KH: 1, KW: 1, Stride: 2}, band},
		{Shape{C: 64, H: 7, W: 7, K: 128, KH: 1, KW: 1, Stride: 2}, low},
		{Shape{C: 128, H: 16, W: 16, K: 128, KH: 3, KW: 3, Stride: 1, Pad: 1}, band},
		{Shape{C: 256, H: 8, W: 8, K: 256, KH: 3, KW: 3, Stride: 1, Pad: 1}, low},
		{Shape{C: 64, H: 32, W: 32, K: 128, KH: 3, KW: 3, Stride: 2, Pad: 1}, band},
		{Shape{C: 128, H: 16, W: 16, K: 256, KH: 3, KW: 3, Stride: 2, Pad: 1}, low},
		{Shape{C: 6, H: 14, W: 14, K: 16, KH: 5, KW: 5, Stride: 1}, band},
		{Shape{C: 16, H: 5, W: 5, K: 120, KH: 5, KW: 5, Stride: 1}, low},
		{Shape{C: 120, H: 1, W: 1, K: 16, KH: 5, KW: 5, Stride: 1, Pad: 4}, band}, // the one above's backward-data
	} {
		op, err := New(c.s)
		if err != nil {
			t.Fatal(err)
		}
		got := low
		switch {
		case op.nchw:
			got = nchw
		case op.banded:
			got = band
		}
		if got != c.want {
			t.Errorf("%+v: %s, want %s", c.s, got, c.want)
		}
	}
}
