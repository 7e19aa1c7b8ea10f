package conv

// The stride-1 lowerings when the output is as wide as the input (a
// "same" convolution along the width, as every 3×3 stride-1 conv of a
// ResNet). A row (c, kh, kw) of the im2col matrix is then image plane c
// shifted by dh = kh − P rows and dw = kw − P columns: one contiguous copy
// of the plane, after which only the columns that wrapped around from the
// neighbouring image row are zeroed (shiftedRun), and its adjoint one
// contiguous sum (col2imRows). This replaces a short copy per output row
// (28 floats and fewer here), which cost more in call overhead than in
// moving data.

// col2imRows is col2im for stride 1 and OutW = W. It zeroes the entries of
// col that read the padding, so that the rest adds in one contiguous run.
func (o *Op) col2imRows(col, x []float32, ld int) {
	oh, ow := o.OutH(), o.OutW()
	ohw, hw := oh*ow, o.H*o.W
	clear(x[:o.C*hw])
	row := 0
	for c := 0; c < o.C; c++ {
		xc := x[c*hw : (c+1)*hw]
		for kh := 0; kh < o.KH; kh++ {
			for kw := 0; kw < o.KW; kw++ {
				s := col[row*ld : row*ld+ohw]
				row++
				y0, y1, lo, hi := o.rowsOf(kh, kw)
				if y0 == y1 || lo == hi {
					continue
				}
				shift := (kh-o.Pad)*o.W + kw - o.Pad
				a, b := y0*ow+lo, (y1-1)*ow+hi
				if lo != 0 || hi != ow {
					for y := y0; y < y1; y++ {
						r := s[y*ow : (y+1)*ow]
						clear(r[:lo])
						clear(r[hi:])
					}
				}
				addTo(xc[a+shift:b+shift], s[a:b])
			}
		}
	}
}

// rowsOf returns, for kernel tap (kh, kw) of a stride-1 conv, the output
// rows [y0, y1) and columns [lo, hi) that read inside the image.
func (o *Op) rowsOf(kh, kw int) (y0, y1, lo, hi int) {
	oh, ow := o.oh, o.ow
	dh, dw := kh-o.Pad, kw-o.Pad
	y0, y1 = min(max(0, -dh), oh), min(oh, o.H-dh)
	lo, hi = min(max(0, -dw), ow), min(ow, o.W-dw)
	return y0, max(y0, y1), lo, max(lo, hi)
}

// addTo sets d[i] += s[i], eight at a time.
func addTo(d, s []float32) {
	s = s[:len(d)]
	i := 0
	for ; i+8 <= len(d); i += 8 {
		dd, ss := (*[8]float32)(d[i:]), (*[8]float32)(s[i:])
		dd[0] += ss[0]
		dd[1] += ss[1]
		dd[2] += ss[2]
		dd[3] += ss[3]
		dd[4] += ss[4]
		dd[5] += ss[5]
		dd[6] += ss[6]
		dd[7] += ss[7]
	}
	for ; i < len(d); i++ {
		d[i] += s[i]
	}
}
