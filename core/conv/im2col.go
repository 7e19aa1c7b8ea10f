package conv

import "github.com/untied-ml/untied/core/vec"

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
		hi = floorDiv(o.W-1-off, o.Stride) + 1 // a tap right of the image reads nothing
	}
	return min(lo, ow), max(min(hi, ow), min(lo, ow))
}

// col2im is the adjoint of the lowering (see lowering): it sets x [C,H,W]
// to the sum, over every entry of col [C·KH·KW, OutH·OutW] (rows ld apart),
// of that entry at the pixel it was read from. It may zero col's entries
// that read the padding.
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
	if o.taps != nil {
		o.col2imSmall(col, x, ld)
		return
	}
	row := 0
	for c := 0; c < o.C; c++ {
		xc := x[c*o.H*o.W : (c+1)*o.H*o.W]
		for kh := 0; kh < o.KH; kh++ {
			for kw := 0; kw < o.KW; kw++ {
				src := col[row*ld : row*ld+ohw]
				row++
				lo, hi := o.span(kw, ow)
				if lo == hi {
					continue // the tap reads only padding
				}
				off := kw - o.Pad
				if o.Stride == 2 {
					// Output rows [ya, yb) read inside the image: rows of
					// dst two image rows apart, every other pixel.
					ya, yb := max(0, -floorDiv(kh-o.Pad, 2)), min(oh, floorDiv(o.H-1+o.Pad-kh, 2)+1)
					if ya < yb {
						h := ya*2 - o.Pad + kh
						vec.AddStride2(xc[h*o.W+lo*2+off:], 2*o.W, src[ya*ow+lo:], ow, yb-ya, hi-lo)
					}
					continue
				}
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

// col2imSmall is col2im, x cleared, for at most 16 output positions
// (small.go): each tap's entries are added through its table, a few
// values a tap where the strided path's calls cost more than their adds.
// Every pixel takes its taps in the same order.
func (o *Op) col2imSmall(col, x []float32, ld int) {
	ohw, hw := o.OutH()*o.OutW(), o.H*o.W
	row := 0
	for c := 0; c < o.C; c++ {
		xc := x[c*hw : (c+1)*hw]
		for t := range o.taps {
			tab := &o.taps[t]
			src := col[row*ld : row*ld+ohw]
			row++
			for p, v := range src {
				if i := tab[p]; i >= 0 {
					xc[i] += v
				}
			}
		}
	}
}
