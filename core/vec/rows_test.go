package vec

import (
	"fmt"
	"math/rand/v2"
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
