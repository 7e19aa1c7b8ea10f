package conv

import (
	"github.com/untied-ml/untied/core/gemm"
	"github.com/untied-ml/untied/core/vec"
)

// lowering is the im2col matrix of images [i0, i0+g) of a batch x as
// gemm.Panels: the engine asks for blocks of it and they are read straight
// from the images, never stored. Its rows are r = (c, kh, kw) and its
// columns j = image·P + position, P = OutH·OutW:
//
//	COL[r][j] = x[i0 + j/P, c, oh·S−P+kh, ow·S−P+kw]   (0 in the padding)
//
// with (oh, ow) position j%P. Stored, COL is KH·KW times the batch, and
// writing then re-reading it cost more than the multiply on this network's
// layers (the multiply waited on memory). With transposed, the matrix is
// COLᵀ (BackwardFilter's operand).
type lowering struct {
	o          *Op
	x          []float32
	i0         int
	transposed bool
}

// Pack implements gemm.Panels.
func (l *lowering) Pack(dst, tmp []float32, nr, p0, kb, j0, nb int) {
	if !l.transposed {
		row := tmp[:nb]
		for p := 0; p < kb; p++ {
			l.o.lowerRun(row, l.x, l.i0, p0+p, j0)
			gemm.PanelRow(dst, row, p, kb, nr)
		}
		return
	}
	// COLᵀ: its columns are rows of COL, runs over positions.
	if nb%nr != 0 {
		clear(dst[nb/nr*nr*kb:]) // the last panel's padding columns
	}
	j := 0
	for ; j+4 <= nb; j += 4 {
		for t := 0; t < 4; t++ {
			l.o.lowerRun(tmp[t*kb:(t+1)*kb], l.x, l.i0, j0+j+t, p0)
		}
		gemm.PanelColumns(dst, tmp, j, kb, nr)
	}
	for ; j < nb; j++ {
		l.o.lowerRun(tmp[:kb], l.x, l.i0, j0+j, p0)
		gemm.PanelColumn(dst, tmp[:kb], j, kb, nr)
	}
}

// lowerRun sets d to the run COL[r][j : j+len(d)] of the lowering of the
// images of x from i0 on; the run may cross from one image to the next.
func (o *Op) lowerRun(d, x []float32, i0, r, j int) {
	p, hw := o.oh*o.ow, o.H*o.W
	kk := o.KH * o.KW
	c, kh, kw := r/kk, r%kk/o.KW, r%o.KW
	if p == 1 { // one output position per image: one input pixel each
		o.pixelRun(d, x[c*hw:], i0+j, kh, kw)
		return
	}
	for len(d) > 0 {
		i, pos := i0+j/p, j%p
		if m := len(d) / p; o.taps != nil && pos == 0 && m > 0 { // whole small images
			vec.Gather16(d[:m*p], p, x[(i*o.C+c)*hw:], o.C*hw, m, &o.taps[kh*o.KW+kw])
			d, j = d[m*p:], j+m*p
			continue
		}
		cnt := min(len(d), p-pos)
		plane := x[(i*o.C+c)*hw : (i*o.C+c+1)*hw]
		if o.Stride == 1 && o.ow == o.W {
			o.shiftedRun(d[:cnt], plane, kh, kw, pos)
		} else {
			o.planeRun(d[:cnt], plane, kh, kw, pos)
		}
		d, j = d[cnt:], j+cnt
	}
}

// innerRun is planeRun without padding at stride 1, where every output
// row reads ow pixels in a row of the plane: position (y, x) reads
// src[y·w + x]. LeNet's rows are 10 to 28 long, too short for copy's call
// to pay, so it moves them in a loop.
func innerRun(d, src []float32, w, ow, pos int) {
	y, x := pos/ow, pos%ow
	for len(d) > 0 {
		row := src[y*w+x : y*w+ow]
		n := min(len(d), len(row))
		for t, v := range row[:n] {
			d[t] = v
		}
		d, y, x = d[n:], y+1, 0
	}
}

// pixelRun is lowerRun for a convolution with a single output position
// (LeNet's 5×5 conv on a 5×5 input, a dense layer in effect): d[t] is the
// pixel (kh−P, kw−P) of the plane of image i+t that x begins with, or zero
// in the padding.
func (o *Op) pixelRun(d, x []float32, i, kh, kw int) {
	h, w := kh-o.Pad, kw-o.Pad
	if h < 0 || h >= o.H || w < 0 || w >= o.W {
		clear(d)
		return
	}
	image := o.C * o.H * o.W
	x = x[i*image+h*o.W+w:]
	for t := range d {
		d[t] = x[t*image]
	}
}

// shiftedRun is planeRun for stride 1 and OutW = W, where the row of COL
// is the plane shifted by (kh−P)·W + kw−P (see shift.go): one copy, then
// zeros where the shift wrapped from a neighbouring row.
func (o *Op) shiftedRun(d, plane []float32, kh, kw, pos int) {
	ow := o.ow
	y0, y1, lo, hi := o.rowsOf(kh, kw)
	shift := (kh-o.Pad)*o.W + kw - o.Pad
	end := pos + len(d)
	// Positions [a, b) read inside the plane.
	a, b := max(pos, y0*ow+lo), min(end, (y1-1)*ow+hi)
	if y0 == y1 || lo == hi || a >= b {
		clear(d)
		return
	}
	clear(d[:a-pos])
	copy(d[a-pos:b-pos], plane[a+shift:b+shift])
	clear(d[b-pos:])
	if lo == 0 && hi == ow {
		return
	}
	// Columns [0, lo) and [hi, ow) of each row, clipped to [a, b): a
	// column or two, so stored one by one (clear would call memclr).
	for y := a / ow; y*ow < b; y++ {
		for t := max(y*ow, a); t < min(y*ow+lo, b); t++ {
			d[t-pos] = 0
		}
		for t := max(y*ow+hi, a); t < min((y+1)*ow, b); t++ {
			d[t-pos] = 0
		}
	}
}

// planeRun sets d to positions [pos, pos+len(d)) of row (c, kh, kw) of
// the lowering of one image plane (channel c): the general case, output
// row by output row.
func (o *Op) planeRun(d, plane []float32, kh, kw, pos int) {
	ow := o.ow
	if o.Pad == 0 && o.Stride == 1 {
		innerRun(d, plane[kh*o.W+kw:], o.W, ow, pos)
		return
	}
	lo, hi := o.span(kw, ow)
	off := kw - o.Pad
	for len(d) > 0 {
		y, xo := pos/ow, pos%ow
		cnt := min(len(d), ow-xo)
		seg := d[:cnt]
		d, pos = d[cnt:], pos+cnt
		h := y*o.Stride - o.Pad + kh
		if h < 0 || h >= o.H {
			clear(seg)
			continue
		}
		src := plane[h*o.W : (h+1)*o.W]
		// seg holds columns [xo, xo+cnt); those in [lo, hi) read src.
		a, b := min(max(lo, xo), xo+cnt), max(min(hi, xo+cnt), xo)
		if a >= b {
			clear(seg)
			continue
		}
		clear(seg[:a-xo])
		clear(seg[b-xo:])
		if o.Stride == 1 {
			copy(seg[a-xo:b-xo], src[a+off:b+off])
			continue
		}
		s := o.Stride
		for t, v := a-xo, a*s+off; t < b-xo; t, v = t+1, v+s {
			seg[t] = src[v]
		}
	}
}
