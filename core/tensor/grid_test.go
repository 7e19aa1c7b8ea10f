package tensor

import "testing"

// testGrid is core/conv's band for 2×3 images of 2 channels, 3×3 filter:
// a zero row above, one between images, a zero column leading each row.
func testGrid(n int) *Grid {
	const h, wp = 2, 4
	return &Grid{Plane: (1 + n*(h+1) + 2) * wp, Origin: wp + 1, ImagePitch: (h + 1) * wp, RowPitch: wp}
}

func TestGridDense(t *testing.T) {
	g := testGrid(2)
	x := OnGrid(nil, g, 2, 2, 2, 3)
	for i := range x.Data {
		if x.Data[i] != 0 {
			t.Fatalf("OnGrid: Data[%d] = %v, want 0", i, x.Data[i])
		}
	}
	// Write every element's NCHW index + 1 at its place on the grid.
	want := New(2, 2, 2, 3)
	for i := 0; i < 2; i++ {
		for c := 0; c < 2; c++ {
			for y := 0; y < 2; y++ {
				for v := 0; v < 3; v++ {
					k := ((i*2+c)*2+y)*3 + v
					want.Data[k] = float32(k + 1)
					x.Data[c*g.Plane+g.Origin+i*g.ImagePitch+y*g.RowPitch+v] = float32(k + 1)
				}
			}
		}
	}
	var nonzero int
	for _, v := range x.Data {
		if v != 0 {
			nonzero++
		}
	}
	if nonzero != want.Len() {
		t.Fatalf("%d values written on the grid, want %d (positions overlap)", nonzero, want.Len())
	}
	d := x.Dense(nil)
	for k := range want.Data {
		if d.Data[k] != want.Data[k] {
			t.Fatalf("Dense()[%d] = %v, want %v", k, d.Data[k], want.Data[k])
		}
	}
	if d.Grid != nil || !d.SameShape(2, 2, 2, 3) {
		t.Errorf("Dense: grid %v shape %v", d.Grid, d.Shape)
	}
	// SetPlane lays the dense planes out as the loop above did, zeros included.
	set := OnGrid(nil, g, 2, 2, 2, 3)
	for i := 0; i < 2; i++ {
		for c := 0; c < 2; c++ {
			set.SetPlane(i, c, want.Data[(i*2+c)*6:])
		}
	}
	for k := range x.Data {
		if set.Data[k] != x.Data[k] {
			t.Fatalf("SetPlane: Data[%d] = %v, want %v", k, set.Data[k], x.Data[k])
		}
	}
	// SetFlat in pieces of every length from 1 to the whole, starting
	// anywhere in a row, whole rows or planes or images among them, gives
	// the same layout; dense, a copy.
	for piece := 1; piece <= want.Len(); piece++ {
		flat, dense := OnGrid(nil, g, 2, 2, 2, 3), New(2, 2, 2, 3)
		for i := 0; i < want.Len(); i += piece {
			flat.SetFlat(i, want.Data[i:min(i+piece, want.Len())])
			dense.SetFlat(i, want.Data[i:min(i+piece, want.Len())])
		}
		for k := range x.Data {
			if flat.Data[k] != x.Data[k] {
				t.Fatalf("SetFlat in pieces of %d: Data[%d] = %v, want %v", piece, k, flat.Data[k], x.Data[k])
			}
		}
		for k := range want.Data {
			if dense.Data[k] != want.Data[k] {
				t.Fatalf("SetFlat, dense, in pieces of %d: Data[%d] = %v, want %v", piece, k, dense.Data[k], want.Data[k])
			}
		}
	}
	if want.Dense(nil) != want {
		t.Errorf("Dense of a dense tensor is not itself")
	}
	if y := OnGrid(x, g, 2, 2, 2, 3); y != x {
		t.Errorf("OnGrid on the same grid and shape did not reuse the tensor")
	}
	if y := OnGrid(x, testGrid(3), 3, 2, 2, 3); y == x || len(y.Data) != testGrid(3).Len(2) {
		t.Errorf("OnGrid on another grid reused the tensor or sized it %d", len(y.Data))
	}
	if e := Ensure(x, 2, 2, 2, 3); e.Grid != nil {
		t.Errorf("Ensure kept the grid")
	}
}

func TestGridRefusals(t *testing.T) {
	g := testGrid(2)
	if g.Fits(4, 2, 2, 3) || g.Fits(2, 2, 2, 5) || !g.Fits(2, 2, 2, 3) {
		t.Errorf("Fits: 4 images %v, rows of 5 %v, the grid's own %v", g.Fits(4, 2, 2, 3), g.Fits(2, 2, 2, 5), g.Fits(2, 2, 2, 3))
	}
	for name, f := range map[string]func(){
		"OnGrid too many images": func() { OnGrid(nil, g, 4, 2, 2, 3) },
		"View":                   func() { OnGrid(nil, g, 2, 2, 2, 3).View(24) },
		"Fill":                   func() { OnGrid(nil, g, 2, 2, 2, 3).Fill(1) },
		"CopyFrom":               func() { New(2, 2, 2, 3).CopyFrom(OnGrid(nil, g, 2, 2, 2, 3)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		}()
	}
}
