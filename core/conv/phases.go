package conv

import (
	"github.com/untied-ml/untied/core/gemm"
	"github.com/untied-ml/untied/core/vec"
)

// Strided backward-data on the band. A tap (kh, kw) of a stride-S conv,
// with kh − P = S·dh + a and kw − P = S·dw + b (a, b in [0, S)), reads only
// the pixels of phase (a, b): rows a and columns b mod S. So dx's pixels
// of phase (a, b) receive only that phase's taps,
//
//	dx[c, S·u+a, S·v+b] = Σ_{k, taps (kh, kw) of (a, b)} w[k,c,kh,kw]·dy[k, u−dh, v−dw],
//
// a stride-1 correlation of dY with the phase's taps. With dY laid out in a
// band whose padding holds every shift (−dh, −dw), each phase is one GEMM
// that reads its rows in place (gemm.SgemmRows: C rows, K·taps inner), and
// the phases' output grids are woven into dx (vec.Weave2 at stride 2). The
// lowering's way (BackwardData) wrote a column gradient KH·KW times dx's
// size and added it back with col2im; this writes dx once. Each element
// of dx sums its products in another order than col2im's, so the two
// differ in the last bits.
type phases struct {
	band           // dY's layout: stride 1, the phases' grids as its output
	list []phase   // the phases some tap reads, by a then b
	at   []int     // phase (a, b)'s index in list, at a·S+b; −1 for none
	w    []float32 // the phases' filters, one after another, [C, K·taps] each
}

// A phase is one GEMM of strided backward-data.
type phase struct {
	a, b       int
	rows, cols int      // dx's pixels in the phase: rows a, a+S, … and columns b, b+S, …
	taps       [][2]int // (kh, kw)
	off        []int    // row (k, t) of the GEMM: its offset in dY's planes
	w          int      // where its filter starts in phases.w
}

// phasesPay reports a strided geometry whose backward-data is faster on
// the phases than through the column gradient: those with more than one
// tap. A 1×1 filter has one phase, which the lowering's GEMM computes as
// well with no band to lay out (ResNet-18's 1×1 stride-2 projection at
// 7×7: 1.6 times as long on the phase).
func (s Shape) phasesPay() bool { return s.Stride > 1 && s.KH*s.KW > 1 }

// newPhases returns strided backward-data on the band for s (stride > 1).
func newPhases(s Shape) *phases {
	st := s.Stride
	p := &phases{at: make([]int, st*st)}
	dhMin, dhMax := floorDiv(-s.Pad, st), floorDiv(s.KH-1-s.Pad, st)
	dwMin, dwMax := floorDiv(-s.Pad, st), floorDiv(s.KW-1-s.Pad, st)
	oh, ow := (s.H+st-1)/st, (s.W+st-1)/st // the largest phase
	p.bandGeom = newBandGeom(s.OutH(), s.OutW(), oh, ow, -dhMax, -dhMin, -dwMax, -dwMin)
	nw := 0
	for a := 0; a < st; a++ {
		for b := 0; b < st; b++ {
			p.at[a*st+b] = -1
			ph := phase{a: a, b: b, rows: (s.H - a + st - 1) / st, cols: (s.W - b + st - 1) / st, w: nw}
			for kh := 0; kh < s.KH; kh++ {
				for kw := 0; kw < s.KW; kw++ {
					if (kh-s.Pad-a)%st == 0 && (kw-s.Pad-b)%st == 0 {
						ph.taps = append(ph.taps, [2]int{kh, kw})
					}
				}
			}
			if len(ph.taps) == 0 || ph.rows <= 0 || ph.cols <= 0 {
				continue
			}
			p.at[a*st+b] = len(p.list)
			p.list = append(p.list, ph)
			nw += s.C * s.K * len(ph.taps)
		}
	}
	p.w = make([]float32, nw)
	return p
}

// sized sets the group size and the GEMMs' row offsets for it.
func (p *phases) sized(s Shape, g int) {
	if p.g == g {
		return
	}
	p.band.sized(g, (s.H+s.Stride-1)/s.Stride)
	for i := range p.list {
		ph := &p.list[i]
		ph.off = ph.off[:0]
		for k := 0; k < s.K; k++ {
			for _, t := range ph.taps {
				dh, dw := floorDiv(t[0]-s.Pad, s.Stride), floorDiv(t[1]-s.Pad, s.Stride)
				ph.off = append(ph.off, k*p.plane+(p.top-dh)*p.wp+p.left-dw)
			}
		}
	}
}

// filters sets each phase's filter from w [K, C, KH, KW]: row c of phase
// ph's is w[k, c, tap] over (k, tap) of ph.
func (p *phases) filters(s Shape, w []float32) {
	for _, ph := range p.list {
		nt := len(ph.taps)
		f := p.w[ph.w : ph.w+s.C*s.K*nt]
		for c := 0; c < s.C; c++ {
			for k := 0; k < s.K; k++ {
				for t, tap := range ph.taps {
					f[(c*s.K+k)*nt+t] = w[((k*s.C+c)*s.KH+tap[0])*s.KW+tap[1]]
				}
			}
		}
	}
}

// phaseGroup is how many images go into one group of GEMMs.
func (o *Op) phaseGroup(n int) int {
	p := o.phases
	per := max(len(p.list)*o.C, o.K) * p.hp * p.wp
	return max(1, min(n, maxGroupFloats/max(per, 1)))
}

// phaseBackwardData is BackwardData on the band (see phases).
func (o *Op) phaseBackwardData(n int, dy, w, dx []float32) {
	p := o.phases
	p.filters(o.Shape, w)
	g := o.phaseGroup(n)
	for i0 := 0; i0 < n; i0 += g {
		gi := min(g, n-i0)
		p.sized(o.Shape, gi)
		o.scr.xp = grow(o.scr.xp, o.K*p.plane)
		o.perImage(taskPhaseIn, dy, o.scr.xp, i0, gi)
		grid := p.n
		out := grow(o.scr.mat, len(p.list)*o.C*grid)
		o.scr.mat = out
		for i, ph := range p.list {
			kt := o.K * len(ph.taps)
			gemm.SgemmRows(false, false, o.C, grid, kt, 1, p.w[ph.w:], kt, o.scr.xp, ph.off, 0, out[i*o.C*grid:], grid)
		}
		o.perImage(taskPhaseOut, out, dx, i0, gi)
	}
}

// phaseIn lays image i of the NCHW batch dy out as image j of dY's band.
func (o *Op) phaseIn(xp, dy []float32, i, j int) {
	p := o.oh * o.ow * o.K
	o.phases.padImage(xp, dy[i*p:(i+1)*p], o.oh, o.ow, j)
}

// phaseOut sets image i of the NCHW batch dx from image j of the phases'
// output grids out, a phase with no taps giving zeros.
func (o *Op) phaseOut(dx, out []float32, i, j int) {
	p, st := o.phases, o.Stride
	hw, grid := o.H*o.W, p.n
	img := dx[i*o.C*hw : (i+1)*o.C*hw]
	// phase is the grid of phase (a, b) for channel c, nil for none.
	phase := func(a, b, c int) []float32 {
		if at := p.at[a*st+b]; at >= 0 {
			return out[(at*o.C+c)*grid+j*p.hp*p.wp:]
		}
		return nil
	}
	for c := 0; c < o.C; c++ {
		xc := img[c*hw : (c+1)*hw]
		if st == 2 {
			for a := 0; a < min(2, o.H); a++ {
				vec.Weave2(xc[a*o.W:], 2*o.W, phase(a, 0, c), phase(a, 1, c), p.wp, (o.H-a+1)/2, o.W)
			}
			continue
		}
		for a := 0; a < st; a++ {
			for b := 0; b < st; b++ {
				src := phase(a, b, c)
				for y := a; y < o.H; y += st {
					row := xc[y*o.W : (y+1)*o.W]
					for v := b; v < o.W; v += st {
						if src == nil {
							row[v] = 0
						} else {
							row[v] = src[(y/st)*p.wp+v/st]
						}
					}
				}
			}
		}
	}
}
