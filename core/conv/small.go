package conv

// Small planes. Where an image plane and the output both have at most 16
// pixels (ResNet-18's 4×4 layers), a row (c, kh, kw) of the im2col matrix
// is, image by image, the plane rearranged by one table: output position
// (oh, ow) reads pixel (oh·S − P + kh, ow·S − P + kw) or the padding. The
// lowering then moves a run of whole images with one vec.Shuffle16 (under
// AVX-512 a load, a permute and a store an image) instead of a shiftedRun
// or planeRun of a few values an image row.

// smallTaps returns every tap's table, kh-major, or nil if s's planes or
// outputs are larger than 16 pixels.
func (s Shape) smallTaps() [][16]int32 {
	oh, ow := s.OutH(), s.OutW()
	if s.H*s.W > 16 || oh*ow > 16 {
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
