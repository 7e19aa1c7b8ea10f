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
