package conv

// im2col lays out the receptive fields of one image x [C,H,W] as the
// columns of col [C·KH·KW, OutH·OutW], whose rows are ld apart (ld ≥
// OutH·OutW, so images of a batch can sit side by side); positions in the
// padding read as 0.
func (o *Op) im2col(x, col []float32, ld int) {
	oh, ow := o.OutH(), o.OutW()
	ohw := oh * ow
	row := 0
	for c := 0; c < o.C; c++ {
		xc := x[c*o.H*o.W : (c+1)*o.H*o.W]
		for kh := 0; kh < o.KH; kh++ {
			for kw := 0; kw < o.KW; kw++ {
				dst := col[row*ld : row*ld+ohw]
				row++
				for y := 0; y < oh; y++ {
					h := y*o.Stride - o.Pad + kh
					d := dst[y*ow : (y+1)*ow]
					if h < 0 || h >= o.H {
						clear(d)
						continue
					}
					src := xc[h*o.W : (h+1)*o.W]
					v := -o.Pad + kw
					if o.Stride == 1 && v >= 0 && v+ow <= o.W {
						copy(d, src[v:v+ow])
						continue
					}
					for xo := range d {
						if v >= 0 && v < o.W {
							d[xo] = src[v]
						} else {
							d[xo] = 0
						}
						v += o.Stride
					}
				}
			}
		}
	}
}

// col2im is im2col's adjoint: it sets x [C,H,W] to the sum, over every
// column entry of col (rows ld apart), of that entry at the pixel it was
// read from.
func (o *Op) col2im(col, x []float32, ld int) {
	oh, ow := o.OutH(), o.OutW()
	ohw := oh * ow
	clear(x[:o.C*o.H*o.W])
	row := 0
	for c := 0; c < o.C; c++ {
		xc := x[c*o.H*o.W : (c+1)*o.H*o.W]
		for kh := 0; kh < o.KH; kh++ {
			for kw := 0; kw < o.KW; kw++ {
				src := col[row*ld : row*ld+ohw]
				row++
				for y := 0; y < oh; y++ {
					h := y*o.Stride - o.Pad + kh
					if h < 0 || h >= o.H {
						continue
					}
					s := src[y*ow : (y+1)*ow]
					dst := xc[h*o.W : (h+1)*o.W]
					v := -o.Pad + kw
					if o.Stride == 1 && v >= 0 && v+ow <= o.W {
						d := dst[v : v+ow]
						for j, val := range s {
							d[j] += val
						}
						continue
					}
					for _, val := range s {
						if v >= 0 && v < o.W {
							dst[v] += val
						}
						v += o.Stride
					}
				}
			}
		}
	}
}
