package align

import (
	"github.com/untied-ml/untied/core/sched"
	"github.com/untied-ml/untied/core/vec"
)

// passChunk is the number of elements whose partial sums one chunk of a
// pass keeps. The chunks do not depend on the thread count, and their sums
// are added in order, so a pass gives the same bits whatever GOMAXPROCS is.
const passChunk = 1 << 14

// pass is one parallel sweep over two activation-sized vectors u and v
// (v may be nil) that sums Σu², Σu·v and Σv² in float64 and, when d is
// non-nil, also sets d = a·u + b·v (d may be u). The alignment terms read
// each activation once through it rather than once per dot product and
// once per axpy, each a serial loop. It allocates nothing once its chunk
// sums have grown to the longest vector.
type pass struct {
	u, v, d []float32
	a, b    float32
	part    [][3]float64 // per chunk: Σu², Σu·v, Σv²
}

// sums holds the results of a pass.
type sums struct{ uu, uv, vv float64 }

// run sweeps u and v (nil: only Σu²) and, with d non-nil, writes d.
func (p *pass) run(u, v, d []float32, a, b float32) sums {
	n := len(u)
	if v != nil {
		v = v[:n]
	}
	if d != nil {
		d = d[:n]
	}
	chunks := (n + passChunk - 1) / passChunk
	if cap(p.part) < chunks {
		p.part = make([][3]float64, chunks)
	}
	p.part = p.part[:chunks]
	p.u, p.v, p.d, p.a, p.b = u, v, d, a, b
	sched.Parallel(chunks, 1, p)
	p.u, p.v, p.d = nil, nil, nil // drop references to the tensors
	var s sums
	for _, c := range p.part {
		s.uu += c[0]
		s.uv += c[1]
		s.vv += c[2]
	}
	return s
}

// Range runs chunks c0 to c1−1.
func (p *pass) Range(c0, c1 int) {
	for c := c0; c < c1; c++ {
		i0, i1 := c*passChunk, min((c+1)*passChunk, len(p.u))
		p.part[c] = p.chunk(i0, i1)
	}
}

// chunk sums one chunk with core/vec's loops (AVX2 on amd64): the sums in
// sixteen float64 lanes, so their bits depend on the chunk's length but
// not on the CPU, and d = a·u + b·v in float32, the products rounded
// before the sum, as Go computes it on amd64.
func (p *pass) chunk(i0, i1 int) [3]float64 {
	u := p.u[i0:i1]
	var uu, uv, vv float64
	switch {
	case p.v == nil && p.d == nil:
		uu = vec.SumSq(u)
	case p.v == nil:
		uu = vec.ScaleSumSq(p.d[i0:i1], u, p.a)
	case p.d == nil:
		uu, uv, vv = vec.Dots(u, p.v[i0:i1])
	default:
		uu, uv, vv = vec.AxpbyDots(p.d[i0:i1], u, p.v[i0:i1], p.a, p.b)
	}
	return [3]float64{uu, uv, vv}
}
