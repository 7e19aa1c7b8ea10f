package vec

import "math"

// The generic loops define the functions and are what the assembly
// reproduces. Explicit conversions such as float32(g*h) keep a product
// rounded before the addition that follows it: without one the compiler may
// fuse the two into an FMA (it does on arm64), and the result would depend
// on the architecture.

// shiftedSumsGeneric is ShiftedSums on whole blocks of sumBlock elements:
// element j of each block is added to lane j, lanes 4r to 4r+3 being
// register r of the assembly, and the lanes are reduced at the end. Go
// keeps an array in memory, so the loop takes one register's four lanes at
// a time in local variables, over the whole of x (in cache: BatchNorm's
// runs are short), rather than sixteen lanes at once.
func shiftedSumsGeneric(x []float32, k float64) (s, ss float64) {
	var sl, ql [4][4]float64
	for r := range sl {
		var s0, s1, s2, s3, q0, q1, q2, q3 float64
		for i := 4 * r; i+4 <= len(x); i += sumBlock {
			b := x[i : i+4]
			d0, d1, d2, d3 := float64(b[0])-k, float64(b[1])-k, float64(b[2])-k, float64(b[3])-k
			s0, s1, s2, s3 = s0+d0, s1+d1, s2+d2, s3+d3
			q0, q1 = q0+float64(d0*d0), q1+float64(d1*d1)
			q2, q3 = q2+float64(d2*d2), q3+float64(d3*d3)
		}
		sl[r] = [4]float64{s0, s1, s2, s3}
		ql[r] = [4]float64{q0, q1, q2, q3}
	}
	return reduce(&sl), reduce(&ql)
}

// dotHatGeneric is DotHat on whole blocks of sumBlock elements, in lanes
// as shiftedSumsGeneric.
func dotHatGeneric(dy, x []float32, mu, is float32) (sdy, sdyx float64) {
	x = x[:len(dy)]
	var sl, pl [4][4]float64
	for r := range sl {
		var s0, s1, s2, s3, p0, p1, p2, p3 float64
		for i := 4 * r; i+4 <= len(dy); i += sumBlock {
			a, h := dy[i:i+4], x[i:i+4]
			a0, a1, a2, a3 := float64(a[0]), float64(a[1]), float64(a[2]), float64(a[3])
			s0, s1, s2, s3 = s0+a0, s1+a1, s2+a2, s3+a3
			p0 += float64(a0 * float64((h[0]-mu)*is))
			p1 += float64(a1 * float64((h[1]-mu)*is))
			p2 += float64(a2 * float64((h[2]-mu)*is))
			p3 += float64(a3 * float64((h[3]-mu)*is))
		}
		sl[r] = [4]float64{s0, s1, s2, s3}
		pl[r] = [4]float64{p0, p1, p2, p3}
	}
	return reduce(&sl), reduce(&pl)
}

// reduce adds the lanes of a block sum, l[r][i] lane i of register r, in
// the order of the assembly: first the registers pairwise, then the lanes.
func reduce(l *[4][4]float64) float64 {
	var t [4]float64
	for i := range t {
		t[i] = (l[0][i] + l[1][i]) + (l[2][i] + l[3][i])
	}
	return (t[0] + t[2]) + (t[1] + t[3])
}

// normalizeGeneric is Normalize on len(dst) elements.
func normalizeGeneric(dst, x []float32, mu, is, g, b float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = float32(g*((v-mu)*is)) + b
	}
}

// normGradGeneric is NormGrad on len(dst) elements.
func normGradGeneric(dst, dy, x []float32, mu, is, scale, mdy, mdyx float32) {
	dy, x = dy[:len(dst)], x[:len(dst)]
	for i, v := range dy {
		dst[i] = scale * (v - mdy - float32(((x[i]-mu)*is)*mdyx))
	}
}

// normalizePlanesGeneric is NormalizePlanes once its arguments are checked.
func normalizePlanesGeneric(dst, x []float32, hw int, mu, is, g, b []float32) {
	for p := range mu {
		normalizeGeneric(dst[p*hw:(p+1)*hw], x[p*hw:], mu[p], is[p], g[p], b[p])
	}
}

// normGradPlanesGeneric is NormGradPlanes once its arguments are checked.
func normGradPlanesGeneric(dst, dy, x []float32, hw int, mu, is, scale, mdy, mdyx []float32) {
	for p := range mu {
		normGradGeneric(dst[p*hw:(p+1)*hw], dy[p*hw:], x[p*hw:], mu[p], is[p], scale[p], mdy[p], mdyx[p])
	}
}

// normalizeAddReluPlanesGeneric is NormalizeAddReluPlanes once its
// arguments are checked.
func normalizeAddReluPlanesGeneric(dst, x, s []float32, hw int, mu, is, g, b []float32) {
	for p := range mu {
		d := dst[p*hw : (p+1)*hw]
		normalizeGeneric(d, x[p*hw:], mu[p], is[p], g[p], b[p])
		addReluGeneric(d, d, s[p*hw:])
	}
}

// reluGeneric is Relu on len(dst) elements: Go's max, whatever it does
// with a NaN on the architecture (amd64 clears its sign, arm64's FMAX
// keeps it and quiets a signalling one).
func reluGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = max(v, 0)
	}
}

// reluGradGeneric is ReluGrad on len(dst) elements. It selects with a bit
// mask rather than a branch: the signs of y are random, and a mispredicted
// branch per element made this loop six times slower.
func reluGradGeneric(dst, dy, y []float32) {
	dy, y = dy[:len(dst)], y[:len(dst)]
	for i, v := range dy {
		// y > 0 exactly when its bits t+1 lie in (0, +Inf's bits]: t is in
		// [0, 0x7f800000), which makes the sign of (t−0x7f800000) &^ t set
		// (zeros, negatives and NaNs fall outside).
		t := int64(math.Float32bits(y[i])) - 1
		m := uint32(((t - 0x7f800000) &^ t) >> 63)
		dst[i] = math.Float32frombits(math.Float32bits(v) & m)
	}
}

// addGeneric is Add on len(dst) elements.
func addGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i, v := range a {
		dst[i] = v + b[i]
	}
}

// addReluGeneric is AddRelu on len(dst) elements.
func addReluGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i, v := range a {
		dst[i] = max(v+b[i], 0)
	}
}

// The sums of the alignment pass (SumSq, ScaleSumSq, Dots, AxpbyDots) on
// whole blocks of sumBlock elements, in lanes as shiftedSumsGeneric. A
// product of two float32 is exact in float64, so only the additions round.
// The blocks are taken dotsStep elements at a time, the lanes kept in
// arrays between steps, so that each step's inputs stay in L1 across the
// four passes over them and dst can be written after them (dst may be an
// input): a chunk of the pass is larger than L1.
const dotsStep = 1024

// sumSqGeneric is SumSq on whole blocks.
func sumSqGeneric(x []float32) float64 {
	var q [4][4]float64
	for i := 0; i < len(x); i += dotsStep {
		squareLanes(&q, x[i:min(i+dotsStep, len(x))])
	}
	return reduce(&q)
}

// squareLanes adds the squares of x's blocks to the lanes q.
func squareLanes(q *[4][4]float64, x []float32) {
	for r := range q {
		q0, q1, q2, q3 := q[r][0], q[r][1], q[r][2], q[r][3]
		for i := 4 * r; i+4 <= len(x); i += sumBlock {
			b := x[i : i+4]
			x0, x1, x2, x3 := float64(b[0]), float64(b[1]), float64(b[2]), float64(b[3])
			q0, q1 = q0+float64(x0*x0), q1+float64(x1*x1)
			q2, q3 = q2+float64(x2*x2), q3+float64(x3*x3)
		}
		q[r] = [4]float64{q0, q1, q2, q3}
	}
}

// scaleSumSqGeneric is ScaleSumSq on whole blocks: each step's squares,
// then its dst.
func scaleSumSqGeneric(dst, x []float32, a float32) float64 {
	x = x[:len(dst)]
	var q [4][4]float64
	for i := 0; i < len(x); i += dotsStep {
		j := min(i+dotsStep, len(x))
		squareLanes(&q, x[i:j])
		scaleGeneric(dst[i:j], x[i:j], a)
	}
	return reduce(&q)
}

// scaleGeneric sets dst = a·x on len(dst) elements.
func scaleGeneric(dst, x []float32, a float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = a * v
	}
}

// dotsGeneric is Dots on whole blocks.
func dotsGeneric(u, v []float32) (uu, uv, vv float64) {
	v = v[:len(u)]
	var l [3][4][4]float64
	for i := 0; i < len(u); i += dotsStep {
		j := min(i+dotsStep, len(u))
		productLanes(&l, u[i:j], v[i:j])
	}
	return reduce(&l[0]), reduce(&l[1]), reduce(&l[2])
}

// productLanes adds the products of u's and v's blocks to the lanes of
// Σu² (l[0]), Σu·v (l[1]) and Σv² (l[2]).
func productLanes(l *[3][4][4]float64, u, v []float32) {
	v = v[:len(u)]
	for r := range 4 {
		p0, p1, p2, p3 := l[0][r][0], l[0][r][1], l[0][r][2], l[0][r][3]
		q0, q1, q2, q3 := l[1][r][0], l[1][r][1], l[1][r][2], l[1][r][3]
		s0, s1, s2, s3 := l[2][r][0], l[2][r][1], l[2][r][2], l[2][r][3]
		for i := 4 * r; i+4 <= len(u); i += sumBlock {
			a, b := u[i:i+4], v[i:i+4]
			x0, x1, x2, x3 := float64(a[0]), float64(a[1]), float64(a[2]), float64(a[3])
			y0, y1, y2, y3 := float64(b[0]), float64(b[1]), float64(b[2]), float64(b[3])
			p0, p1, p2, p3 = p0+float64(x0*x0), p1+float64(x1*x1), p2+float64(x2*x2), p3+float64(x3*x3)
			q0, q1, q2, q3 = q0+float64(x0*y0), q1+float64(x1*y1), q2+float64(x2*y2), q3+float64(x3*y3)
			s0, s1, s2, s3 = s0+float64(y0*y0), s1+float64(y1*y1), s2+float64(y2*y2), s3+float64(y3*y3)
		}
		l[0][r] = [4]float64{p0, p1, p2, p3}
		l[1][r] = [4]float64{q0, q1, q2, q3}
		l[2][r] = [4]float64{s0, s1, s2, s3}
	}
}

// axpbyDotsGeneric is AxpbyDots on whole blocks: each step's sums, then
// its dst.
func axpbyDotsGeneric(dst, u, v []float32, a, b float32) (uu, uv, vv float64) {
	u, v = u[:len(dst)], v[:len(dst)]
	var l [3][4][4]float64
	for i := 0; i < len(u); i += dotsStep {
		j := min(i+dotsStep, len(u))
		productLanes(&l, u[i:j], v[i:j])
		axpbyGeneric(dst[i:j], u[i:j], v[i:j], a, b)
	}
	return reduce(&l[0]), reduce(&l[1]), reduce(&l[2])
}

// axpbyGeneric sets dst = a·u + b·v on len(dst) elements, each product
// rounded to float32 before the sum (never an FMA, on any architecture).
func axpbyGeneric(dst, u, v []float32, a, b float32) {
	u, v = u[:len(dst)], v[:len(dst)]
	for i, x := range u {
		dst[i] = float32(a*x) + float32(b*v[i])
	}
}
