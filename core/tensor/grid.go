package tensor

import (
	"fmt"

	"github.com/untied-ml/untied/core/vec"
)

// A Grid places an [N, C, H, W] image batch in a padded layout, the one a
// stride-1 convolution reads in place (core/conv's band): element
// (i, c, y, v) is at
//
//	Data[c·Plane + Origin + i·ImagePitch + y·RowPitch + v]
//
// and every other position of Data holds zero. A layer that writes a batch
// on a grid (a BatchNorm before such a convolution) saves the convolution
// laying it out; one that reads it and does not know grids calls Dense.
type Grid struct {
	Plane      int // floats per channel, all images
	Origin     int // where image 0's first pixel lies in a channel's plane
	ImagePitch int // floats from one image to the next in a plane
	RowPitch   int // floats from one row to the next (≥ W)
}

// Len is the length of Data a grid needs for c channels.
func (g *Grid) Len(c int) int { return c * g.Plane }

// Fits reports whether an [n, c, h, w] batch fits g: its images and rows
// do not overlap, and the last pixel lies inside a plane.
func (g *Grid) Fits(n, c, h, w int) bool {
	return g.RowPitch >= w && g.ImagePitch >= h*g.RowPitch && g.Origin >= 0 &&
		g.Origin+(n-1)*g.ImagePitch+(h-1)*g.RowPitch+w <= g.Plane
}

// Equal reports whether g and o are the same layout (both nil included).
func (g *Grid) Equal(o *Grid) bool {
	if g == nil || o == nil {
		return g == o
	}
	return *g == *o
}

// OnGrid returns a zeroed [N, C, H, W] tensor laid out on g, reusing t's
// storage when t is on the same grid with the same shape (its padding is
// then still zero, as nothing writes there).
func OnGrid(t *Tensor, g *Grid, shape ...int) *Tensor {
	if len(shape) != 4 {
		panic(fmt.Sprintf("tensor: grid for shape %v, want [N, C, H, W]", shape))
	}
	n, c, h, w := shape[0], shape[1], shape[2], shape[3]
	if !g.Fits(n, c, h, w) {
		panic(fmt.Sprintf("tensor: %v does not fit grid %+v", shape, *g))
	}
	if t != nil && t.Grid.Equal(g) && t.SameShape(shape...) && len(t.Data) == g.Len(c) {
		return t
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, g.Len(c)), Grid: g}
}

// planeAt is where channel c of image i starts in Data.
func (t *Tensor) planeAt(i, c int) int {
	if g := t.Grid; g != nil {
		return c*g.Plane + g.Origin + i*g.ImagePitch
	}
	return (i*t.Shape[1] + c) * t.Shape[2] * t.Shape[3]
}

// SetPlane writes plane, the h·w values of channel c of image i in row
// order, into t, dense or on a grid; on a grid each row is written whole
// with the zeros around it (vec.PadRows), so the padding stays zero.
func (t *Tensor) SetPlane(i, c int, plane []float32) {
	_, _, h, w := t.NCHW()
	if g := t.Grid; g != nil {
		g.PutRows(t.Data, i, c, plane, w, h, w)
		return
	}
	at := t.planeAt(i, c)
	copy(t.Data[at:at+h*w], plane[:h*w])
}

// PutRows writes h rows of w values, src's rows srcPitch apart, as channel
// c of image i of data laid out on g, each row whole with the zeros around
// it (vec.PadRows), so the padding stays zero.
func (g *Grid) PutRows(data []float32, i, c int, src []float32, srcPitch, h, w int) {
	lead := g.Origin % g.RowPitch
	at := c*g.Plane + g.Origin + i*g.ImagePitch - lead
	vec.PadRows(data[at:], g.RowPitch, src, srcPitch, h, lead, w)
}

// SetFlat writes v as the elements i, i+1, … of t counted in NCHW order,
// wherever t keeps them: dense, a copy; on a grid, row piece by row piece
// (the padding is left as it is, zero). Calls on disjoint ranges may run
// at once.
func (t *Tensor) SetFlat(i int, v []float32) {
	g := t.Grid
	if g == nil {
		copy(t.Data[i:i+len(v)], v)
		return
	}
	_, c, h, w := t.NCHW()
	row := i / w // of all images' rows, in NCHW order
	x, y := i-row*w, row%h
	img, ch := row/h/c, row/h%c
	for len(v) > 0 {
		at := ch*g.Plane + g.Origin + img*g.ImagePitch + y*g.RowPitch + x
		k := copy(t.Data[at:at+min(w-x, len(v))], v)
		v, x = v[k:], 0
		if y++; y == h {
			y, ch = 0, ch+1
			if ch == c {
				ch, img = 0, img+1
			}
		}
	}
}

// PlaneTo copies channel c of image i of t, dense or on a grid, into dst
// as h·w values in row order.
func (t *Tensor) PlaneTo(dst []float32, i, c int) {
	_, _, h, w := t.NCHW()
	pitch := w
	if t.Grid != nil {
		pitch = t.Grid.RowPitch
	}
	vec.PadRows(dst, w, t.Data[t.planeAt(i, c):], pitch, h, 0, w)
}

// Dense returns t in dense NCHW order: t itself when it is dense, else its
// values copied into dst's storage (reused as by Ensure).
func (t *Tensor) Dense(dst *Tensor) *Tensor {
	if t.Grid == nil {
		return t
	}
	n, c, h, w := t.NCHW()
	dst = Ensure(dst, n, c, h, w)
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			at := (i*c + ch) * h * w
			t.PlaneTo(dst.Data[at:at+h*w], i, ch)
		}
	}
	return dst
}
