package vec

import "fmt"

// PadRows copies rows runs of width values, run r from src[r·ss:], into
// row r of dst at dst[r·ds:], and writes each row of dst whole: lead zeros,
// the width values, zeros up to ds (lead + width ≤ ds). It moves a batch
// between NCHW planes and core/conv's padded layouts (a row of an image
// with its padding), whose rows are 4 to 32 values at the ResNets' sizes:
// one call, not a copy and a clear per row. The AVX-512 loop moves a row
// in 16-value pieces under masks; on whole activations, out of cache, it
// is about a fifth faster than the per-row loop (docs/engine.md).
func PadRows(dst []float32, ds int, src []float32, ss, rows, lead, width int) {
	if rows <= 0 {
		return
	}
	switch {
	case lead < 0 || width < 0 || lead+width > ds:
		panic(fmt.Sprintf("vec: PadRows: lead %d + width %d past the row's %d values", lead, width, ds))
	case ss < 0:
		panic(fmt.Sprintf("vec: PadRows: negative source stride %d", ss))
	case (rows-1)*ds+ds > len(dst):
		panic(fmt.Sprintf("vec: PadRows: %d rows of %d overrun dst's %d values", rows, ds, len(dst)))
	case width > 0 && (rows-1)*ss+width > len(src):
		panic(fmt.Sprintf("vec: PadRows: %d runs of %d at stride %d overrun src's %d values", rows, width, ss, len(src)))
	}
	if lead == 0 && width == ds && ss == ds { // no padding: one run
		copy(dst[:rows*ds], src[:rows*ds])
		return
	}
	best.padRows(dst, ds, src, ss, rows, lead, width)
}

// padRowsGeneric is PadRows once its arguments are checked.
func padRowsGeneric(dst []float32, ds int, src []float32, ss, rows, lead, width int) {
	for r := 0; r < rows; r++ {
		d := dst[r*ds : r*ds+ds]
		clear(d[:lead])
		copy(d[lead:lead+width], src[r*ss:r*ss+width])
		clear(d[lead+width:])
	}
}

// Gather16 sets dst[i·p + t] = src[i·stride + idx[t]] for t < p ≤ 16
// and i < n, or 0 where idx[t] < 0: n planes read through one table. It is
// the lowering of a convolution with at most 16 output positions (ResNet-18's
// 4×4 layers), one tap's row of the im2col matrix for n images: each
// position reads one pixel of the plane or the padding. Under AVX-512 a
// plane of up to 16 values is one masked load, one permute and one masked
// store; a larger one, one gather.
func Gather16(dst []float32, p int, src []float32, stride, n int, idx *[16]int32) {
	if n <= 0 || p == 0 {
		return
	}
	if p < 0 || p > 16 {
		panic(fmt.Sprintf("vec: Gather16: %d values a plane, want 1 to 16", p))
	}
	hw := 0 // the values of a plane that idx reads
	for _, k := range idx[:p] {
		hw = max(hw, int(k)+1)
	}
	switch {
	case (n-1)*p+p > len(dst):
		panic(fmt.Sprintf("vec: Gather16: %d planes of %d overrun dst's %d values", n, p, len(dst)))
	case hw > 0 && (stride < 0 || (n-1)*stride+hw > len(src)):
		panic(fmt.Sprintf("vec: Gather16: %d planes of %d at stride %d overrun src's %d values", n, hw, stride, len(src)))
	}
	best.gather16(dst, p, src, stride, n, idx, hw)
}

// gather16Generic is Gather16 once its arguments are checked; hw is the
// values of a plane that idx reads.
func gather16Generic(dst []float32, p int, src []float32, stride, n int, idx *[16]int32, hw int) {
	for i := 0; i < n; i++ {
		d := dst[i*p : i*p+p]
		for t := range d {
			if k := idx[t]; k >= 0 {
				d[t] = src[i*stride+int(k)]
			} else {
				d[t] = 0
			}
		}
	}
}

// Deal2 deals rows of src out by column parity: for each of rows runs of
// width values (src[r·ss:]), the values in even columns go to even[r·ds:]
// and those in odd columns to odd[r·ds:] (odd may be nil: then they are
// dropped). It splits an image into the column phases of a stride-2
// convolution's banded layout (core/conv); under AVX-512 a row of up to 32
// values is two masked loads, two permutes and two masked stores.
func Deal2(even, odd []float32, ds int, src []float32, ss, rows, width int) {
	if rows <= 0 || width <= 0 {
		return
	}
	ne, no := (width+1)/2, width/2
	switch {
	case ds < 0 || ss < 0:
		panic(fmt.Sprintf("vec: Deal2: negative stride (%d, %d)", ds, ss))
	case (rows-1)*ds+ne > len(even):
		panic(fmt.Sprintf("vec: Deal2: %d rows of %d at stride %d overrun even's %d values", rows, ne, ds, len(even)))
	case odd != nil && no > 0 && (rows-1)*ds+no > len(odd):
		panic(fmt.Sprintf("vec: Deal2: %d rows of %d at stride %d overrun odd's %d values", rows, no, ds, len(odd)))
	case (rows-1)*ss+width > len(src):
		panic(fmt.Sprintf("vec: Deal2: %d runs of %d at stride %d overrun src's %d values", rows, width, ss, len(src)))
	}
	best.deal2(even, odd, ds, src, ss, rows, width)
}

// deal2Generic is Deal2 once its arguments are checked.
func deal2Generic(even, odd []float32, ds int, src []float32, ss, rows, width int) {
	for r := 0; r < rows; r++ {
		s := src[r*ss : r*ss+width]
		e := even[r*ds : r*ds+(width+1)/2]
		for t := range e {
			e[t] = s[2*t]
		}
		if odd != nil {
			o := odd[r*ds : r*ds+width/2]
			for t := range o {
				o[t] = s[2*t+1]
			}
		}
	}
}

// AddStride2 adds rows runs of n values, run r from src[r·ss:], to every
// other value of dst's rows: dst[r·ds + 2j] += src[r·ss + j]. It is the
// adjoint of a stride-2 lowering (core/conv's col2im), each value of dst
// added to once, so the order of the sums is the loop's; under AVX-512 a
// run of up to 16 is one load, two permutes and two masked adds.
func AddStride2(dst []float32, ds int, src []float32, ss, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	switch {
	case ds < 0 || ss < 0:
		panic(fmt.Sprintf("vec: AddStride2: negative stride (%d, %d)", ds, ss))
	case (rows-1)*ds+2*n-1 > len(dst):
		panic(fmt.Sprintf("vec: AddStride2: %d rows of %d every other value at stride %d overrun dst's %d values", rows, n, ds, len(dst)))
	case (rows-1)*ss+n > len(src):
		panic(fmt.Sprintf("vec: AddStride2: %d runs of %d at stride %d overrun src's %d values", rows, n, ss, len(src)))
	}
	best.addStride2(dst, ds, src, ss, rows, n)
}

// addStride2Generic is AddStride2 once its arguments are checked.
func addStride2Generic(dst []float32, ds int, src []float32, ss, rows, n int) {
	for r := 0; r < rows; r++ {
		d := dst[r*ds : r*ds+2*n-1]
		for j, v := range src[r*ss : r*ss+n] {
			d[2*j] += v
		}
	}
}
