package conv

// Small outputs. Where a convolution has at most 16 output positions
// (ResNet-18's 4×4 layers), a row (c, kh, kw) of the im2col matrix is,
// image by image, the image plane read through one table: output position
// (oh, ow) reads pixel (oh·S − P + kh, ow·S − P + kw) or the padding. The
// lowering then moves a run of whole images with one vec.Gather16 (under
// AVX-512 a permute an image, or a gather where the plane is larger than
// 16) instead of a shiftedRun or planeRun of a few values an image row;
// and col2im adds a tap's entries back through its table (col2imSmall)
// rather than with a vec.AddStride2 call of a few values a tap (the
// 7×7→4×4 stride-2 layers' backward-data −25 % at width 16, one thread;
// at 7×7 outputs the table loop was 7 % slower than the calls).

// smallTaps returns every tap's table, kh-major, or nil if s has more
// than 16 output positions.
func (s Shape) smallTaps() [][16]int32 {
	oh, ow := s.OutH(), s.OutW()
	if oh*ow > 16 {
		return nil
	}
	taps := make([][16]int32, s.KH*s.KW)
	for kh := 0; kh < s.KH; kh++ {
		for kw := 0; kw < s.KW; kw++ {
			t := &taps[kh*s.KW+kw]
			for i := range t {
				t[i] = -1
			}
			for y := 0; y < oh; y++ {
				for x := 0; x < ow; x++ {
					h, w := y*s.Stride-s.Pad+kh, x*s.Stride-s.Pad+kw
					if h >= 0 && h < s.H && w >= 0 && w < s.W {
						t[y*ow+x] = int32(h*s.W + w)
					}
				}
			}
		}
	}
	return taps
}
