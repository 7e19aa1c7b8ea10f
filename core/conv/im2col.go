package conv

// span returns the output columns [lo, hi) whose input column
// xo·S − P + kw falls inside [0, W), for kernel column kw.
func (o *Op) span(kw, ow int) (lo, hi int) {
	off := kw - o.Pad // input column of output column 0
	lo = 0
	if off < 0 {
		lo = (-off + o.Stride - 1) / o.Stride
	}
	hi = ow
	if last := off + (ow-1)*o.Stride; last >= o.W {
		hi = (o.W-1-off)/o.Stride + 1
	}
	return min(lo, ow), max(min(hi, ow), min(lo, ow))
}

// im2col lays out the receptive fields of one image x [C,H,W] as the
// columns of col [C·KH·KW, OutH·OutW], whose rows are ld apart (ld ≥
// OutH·OutW, so images of a batch can sit side by side); positions in the
// padding read as 0.
func (o *Op) im2col(x, col []float32, ld int) {
	oh, ow := o.OutH(), o.OutW()
	ohw := oh * ow
	if o.pointwise() { // each row is a channel plane
		for c := 0; c < o.C; c++ {
			copy(col[c*ld:c*ld+ohw], x[c*ohw:(c+1)*ohw])
		}
		return
	}
	if o.Stride == 1 && ow == o.W {
		o.im2colRows(x, col, ld)
		return
	}
	row := 0
	for c := 0; c < o.C; c++ {
		xc := x[c*o.H*o.W : (c+1)*o.H*o.W]
		for kh := 0; kh < o.KH; kh++ {
			for kw := 0; kw < o.KW; kw++ {
				dst := col[row*ld : row*ld+ohw]
				row++
				lo, hi := o.span(kw, ow)
				off := kw - o.Pad
				for y := 0; y < oh; y++ {
					h := y*o.Stride - o.Pad + kh
					d := dst[y*ow : (y+1)*ow]
					if h < 0 || h >= o.H {
						clear(d)
						continue
					}
					src := xc[h*o.W : (h+1)*o.W]
					clear(d[:lo])
					clear(d[hi:])
					if o.Stride == 1 {
						copy(d[lo:hi], src[lo+off:hi+off])
						continue
					}
					s := o.Stride
					for xo, v := lo, lo*s+off; xo < hi; xo, v = xo+1, v+s {
						d[xo] = src[v]
					}
				}
			}
		}
	}
}

// col2im is im2col's adjoint: it sets x [C,H,W] to the sum, over every
// column entry of col (rows ld apart), of that entry at the pixel it was
// read from. It may zero col's entries that read the padding.
func (o *Op) col2im(col, x []float32, ld int) {
	oh, ow := o.OutH(), o.OutW()
	ohw := oh * ow
	if o.pointwise() {
		for c := 0; c < o.C; c++ {
			copy(x[c*ohw:(c+1)*ohw], col[c*ld:c*ld+ohw])
		}
		return
	}
	if o.Stride == 1 && ow == o.W {
		o.col2imRows(col, x, ld)
		return
	}
	clear(x[:o.C*o.H*o.W])
	row := 0
	for c := 0; c < o.C; c++ {
		xc := x[c*o.H*o.W : (c+1)*o.H*o.W]
		for kh := 0; kh < o.KH; kh++ {
			for kw := 0; kw < o.KW; kw++ {
				src := col[row*ld : row*ld+ohw]
				row++
				lo, hi := o.span(kw, ow)
				off := kw - o.Pad
				for y := 0; y < oh; y++ {
					h := y*o.Stride - o.Pad + kh
					if h < 0 || h >= o.H {
						continue
					}
					s := src[y*ow+lo : y*ow+hi]
					dst := xc[h*o.W : (h+1)*o.W]
					if o.Stride == 1 {
						d := dst[lo+off : hi+off]
						d = d[:len(s)]
						for j, v := range s {
							d[j] += v
						}
						continue
					}
					for j, v := range s {
						dst[(lo+j)*o.Stride+off] += v
					}
				}
			}
		}
	}
}
