package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPadRows checks every implementation against the definition, row by
// row, on shapes around the 16-value pieces (and past the widest the
// AVX-512 loop takes), with a sentinel after the last row that must
// survive.
func TestPadRows(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	type shape struct{ rows, ds, ss, lead, width int }
	shapes := []shape{
		{1, 1, 1, 0, 1}, {3, 29, 28, 1, 28}, {28, 28, 29, 0, 28}, {14, 15, 14, 1, 14},
		{7, 8, 7, 0, 7}, {4, 5, 4, 1, 4}, {5, 16, 16, 0, 16}, {5, 17, 16, 0, 16},
		{5, 32, 40, 0, 32}, {5, 33, 31, 2, 31}, {2, 20, 5, 7, 5}, {3, 10, 3, 0, 0},
		{2, 256, 256, 0, 256}, {2, 257, 255, 2, 255}, {3, 232, 224, 4, 224},
	}
	for range 200 {
		ds := 1 + r.IntN(70)
		lead := r.IntN(ds)
		width := r.IntN(ds - lead + 1)
		shapes = append(shapes, shape{1 + r.IntN(6), ds, width + r.IntN(5), lead, width})
	}
	const sentinel = 12345
	for _, im := range impls {
		withImpl(im, func() {
			for _, s := range shapes {
				name := fmt.Sprintf("%s rows=%d ds=%d ss=%d lead=%d width=%d", im.name, s.rows, s.ds, s.ss, s.lead, s.width)
				src := fill(r, max((s.rows-1)*s.ss+s.width, 0), dists[0].gen)
				dst := fill(r, s.rows*s.ds+1, dists[0].gen) // the old contents must all be overwritten
				dst[len(dst)-1] = sentinel
				PadRows(dst[:s.rows*s.ds], s.ds, src, s.ss, s.rows, s.lead, s.width)
				for row := 0; row < s.rows; row++ {
					for col := 0; col < s.ds; col++ {
						want := float32(0)
						if col >= s.lead && col < s.lead+s.width {
							want = src[row*s.ss+col-s.lead]
						}
						if got := dst[row*s.ds+col]; got != want {
							t.Fatalf("%s: dst[%d][%d] = %v, want %v", name, row, col, got, want)
						}
					}
				}
				if dst[len(dst)-1] != sentinel {
					t.Fatalf("%s: wrote past the last row", name)
				}
			}
		})
	}
}

// TestPadRowsChecksBounds: arguments that would overrun a slice panic
// with a message, before any loop runs.
func TestPadRowsChecksBounds(t *testing.T) {
	cases := []struct {
		name                      string
		dst, src                  int
		ds, ss, rows, lead, width int
	}{
		{"dst short", 10, 20, 4, 4, 3, 0, 4},
		{"src short", 12, 7, 4, 4, 3, 0, 4},
		{"run past row", 12, 12, 4, 4, 3, 1, 4},
		{"negative lead", 12, 12, 4, 4, 3, -1, 2},
		{"negative stride", 12, 12, 4, -4, 3, 0, 2},
	}
	for _, c := range cases {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", c.name)
				}
			}()
			PadRows(make([]float32, c.dst), c.ds, make([]float32, c.src), c.ss, c.rows, c.lead, c.width)
		}()
	}
}

func TestPadRowsAllocatesNothing(t *testing.T) {
	dst, src := make([]float32, 29*28), make([]float32, 28*28)
	if a := testing.AllocsPerRun(10, func() { PadRows(dst, 29, src, 28, 28, 1, 28) }); a != 0 {
		t.Errorf("PadRows allocates %v times a call", a)
	}
}

// TestGather16 checks every implementation against the definition on
// random tables (some entries −1, planes of 1 to 60 values, strides
// wider and narrower than a plane) and on a table that reads nothing,
// with a sentinel after the last plane that must survive.
func TestGather16(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const sentinel = 777
	for _, im := range impls {
		withImpl(im, func() {
			for trial := range 300 {
				p, hw := 1+r.IntN(16), 1+r.IntN(60)
				var idx [16]int32
				for t := range idx {
					idx[t] = int32(r.IntN(hw+1)) - 1 // −1 to hw−1
				}
				switch trial {
				case 0: // reads nothing
					for t := range idx {
						idx[t] = -1
					}
				case 1: // a whole plane of 16 read, and padding beside it
					p, hw = 16, 16
					for t := range idx {
						idx[t] = int32(t)
					}
					idx[0], idx[1] = 15, -1
				}
				n, stride := 1+r.IntN(9), hw+r.IntN(20)-3
				stride = max(stride, 0)
				src := fill(r, (n-1)*stride+64, dists[0].gen)
				dst := fill(r, n*p+1, dists[0].gen)
				dst[n*p] = sentinel
				Gather16(dst[:n*p], p, src[:len(src)-64+hw], stride, n, &idx)
				for i := 0; i < n; i++ {
					for k := 0; k < p; k++ {
						want := float32(0)
						if idx[k] >= 0 {
							want = src[i*stride+int(idx[k])]
						}
						if got := dst[i*p+k]; got != want {
							t.Fatalf("%s trial %d (p=%d hw=%d n=%d stride=%d): dst[%d][%d] = %v, want %v", im.name, trial, p, hw, n, stride, i, k, got, want)
						}
					}
				}
				if dst[n*p] != sentinel {
					t.Fatalf("%s trial %d: wrote past the last plane", im.name, trial)
				}
			}
		})
	}
}

func TestGather16ChecksBounds(t *testing.T) {
	var idx [16]int32
	for t := range idx {
		idx[t] = int32(t)
	}
	cases := []struct {
		name                   string
		dst, p, src, stride, n int
	}{
		{"dst short", 31, 16, 64, 16, 2},
		{"src short", 32, 16, 31, 16, 2},
		{"plane past 16", 34, 17, 64, 16, 2},
	}
	for _, c := range cases {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", c.name)
				}
			}()
			Gather16(make([]float32, c.dst), c.p, make([]float32, c.src), c.stride, c.n, &idx)
		}()
	}
}

// TestDeal2 checks every implementation against the definition, widths 1
// to 40 (past the 32 the AVX-512 loop takes), with and without the odd
// columns, and a sentinel after the last row of each output.
func TestDeal2(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const sentinel = 555
	for _, im := range impls {
		withImpl(im, func() {
			for width := 1; width <= 40; width++ {
				for _, withOdd := range []bool{true, false} {
					rows, ne, no := 1+r.IntN(5), (width+1)/2, width/2
					ds, ss := ne+r.IntN(4), width+r.IntN(4)
					src := fill(r, (rows-1)*ss+width, dists[0].gen)
					even := fill(r, (rows-1)*ds+ne+1, dists[0].gen)
					even[len(even)-1] = sentinel
					var odd []float32
					if withOdd {
						odd = fill(r, (rows-1)*ds+no+1, dists[0].gen)
						odd[len(odd)-1] = sentinel
					}
					Deal2(even[:len(even)-1], odd, ds, src, ss, rows, width)
					for row := 0; row < rows; row++ {
						for c := 0; c < width; c++ {
							got, name := float32(0), "even"
							if c%2 == 0 {
								got = even[row*ds+c/2]
							} else if withOdd {
								got, name = odd[row*ds+c/2], "odd"
							} else {
								continue
							}
							if want := src[row*ss+c]; got != want {
								t.Fatalf("%s width=%d: %s[%d][%d] = %v, want %v", im.name, width, name, row, c/2, got, want)
							}
						}
					}
					if even[len(even)-1] != sentinel || withOdd && odd[len(odd)-1] != sentinel && no > 0 {
						t.Fatalf("%s width=%d: wrote past the last row", im.name, width)
					}
				}
			}
		})
	}
}

// TestAddStride2 checks every implementation against the definition, runs
// of 1 to 20 (past the 16 the AVX-512 loop takes); the odd values of dst,
// negative zeros among them, must keep their bits.
func TestAddStride2(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, im := range impls {
		withImpl(im, func() {
			for n := 1; n <= 20; n++ {
				rows := 1 + r.IntN(5)
				ds, ss := 2*n+r.IntN(4), n+r.IntN(3)
				src := fill(r, (rows-1)*ss+n, dists[0].gen)
				dst := fill(r, (rows-1)*ds+2*n+1, dists[0].gen)
				for i := 1; i < len(dst); i += 4 {
					dst[i] = float32(math.Copysign(0, -1))
				}
				want := slices.Clone(dst)
				for row := 0; row < rows; row++ {
					for j := 0; j < n; j++ {
						want[row*ds+2*j] += src[row*ss+j]
					}
				}
				AddStride2(dst[:len(dst)-2], ds, src, ss, rows, n)
				for i := range want {
					if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s n=%d rows=%d: dst[%d] = %v, want %v", im.name, n, rows, i, dst[i], want[i])
					}
				}
			}
		})
	}
}
