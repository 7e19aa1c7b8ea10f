package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
)

// TestSgemmBatchMatchesSgemm: every product of a batch is bit for bit what
// Sgemm gives on its slices, whichever way the batch is shared (whole
// products to goroutines, or one after another, each split), on one
// thread and two; what lies between the products' C is left alone.
func TestSgemmBatchMatchesSgemm(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range []struct{ m, n, k, count int }{
		{16, 784, 16, 9}, {64, 49, 256, 5}, {3, 5, 7, 1}, {200, 300, 150, 3}, {8, 32, 0, 4}, {33, 70, 45, 2},
	} {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, beta := range []float32{0, 0.5} {
				for _, procs := range []int{1, 2} {
					runtime.GOMAXPROCS(procs)
					tA, tB := tr[0], tr[1]
					what := fmt.Sprintf("%+v tA=%v tB=%v beta=%v procs=%d", s, tA, tB, beta, procs)
					a, lda, b1, ldb, c1, ldc := operands(r, tA, tB, s.m, s.n, s.k)
					strideB, strideC := len(b1)+3, len(c1)+5
					b := randSlice(r, (s.count-1)*strideB+len(b1))
					c := make([]float32, (s.count-1)*strideC+len(c1))
					for i := range c {
						c[i] = float32(math.NaN())
					}
					for i := range s.count {
						copy(c[i*strideC:], nanC(r, s.m, s.n, ldc))
					}
					want := slices.Clone(c)
					for i := range s.count {
						Sgemm(tA, tB, s.m, s.n, s.k, 1.25, a, lda, b[i*strideB:], ldb, beta, want[i*strideC:], ldc)
					}
					SgemmBatch(tA, tB, s.m, s.n, s.k, 1.25, a, lda, b, ldb, strideB, beta, c, ldc, strideC, s.count)
					for i := range want {
						if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s: C[%d] = %v, Sgemm gives %v", what, i, c[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestSgemmBatchBadArgsPanic: a batch that would overrun B or C, or a
// negative count or stride, panics with a message before any kernel runs.
func TestSgemmBatchBadArgsPanic(t *testing.T) {
	a, b, c := make([]float32, 4*4), make([]float32, 3*4*4), make([]float32, 3*4*4)
	for name, f := range map[string]func(){
		"B short":         func() { SgemmBatch(false, false, 4, 4, 4, 1, a, 4, b[:40], 4, 16, 0, c, 4, 16, 3) },
		"C short":         func() { SgemmBatch(false, false, 4, 4, 4, 1, a, 4, b, 4, 16, 0, c[:40], 4, 16, 3) },
		"negative count":  func() { SgemmBatch(false, false, 4, 4, 4, 1, a, 4, b, 4, 16, 0, c, 4, 16, -1) },
		"negative stride": func() { SgemmBatch(false, false, 4, 4, 4, 1, a, 4, b, 4, -16, 0, c, 4, 16, 3) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// TestSgemmBatchNoAllocs: after warm-up a batch allocates nothing, shared
// among goroutines or not.
func TestSgemmBatchNoAllocs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	const m, n, k, count = 16, 784, 16, 8
	a, b, c := make([]float32, m*k), make([]float32, count*k*n), make([]float32, count*m*n)
	if allocs := testing.AllocsPerRun(20, func() {
		SgemmBatch(false, false, m, n, k, 1, a, k, b, n, k*n, 0, c, n, m*n, count)
	}); allocs != 0 {
		t.Errorf("%v allocs per call, want 0", allocs)
	}
}

// TestSgemmRowsSum: the dot path summed over a batch is within the float32
// bound of its definition; with a dot kernel and k a multiple of 8, bit
// for bit SgemmRows on the batch's rows laid end to end; and the same on
// one thread or two.
func TestSgemmRowsSum(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range []struct{ m, n, k, count int }{
		{64, 16, 784, 5}, {16, 64, 196, 3}, {5, 7, 16, 9}, {9, 4, 13, 4}, {32, 24, 1040, 2}, {3, 3, 0, 2}, {7, 5, 8, 1},
	} {
		for _, beta := range []float32{0, 1} {
			what := fmt.Sprintf("%+v beta=%v", s, beta)
			lda, strideA := s.k+3, s.m*(s.k+3)+5
			a := randSlice(r, (s.count-1)*strideA+s.m*lda)
			// R_i's rows in reverse order, s.k+2 apart, the images strideB apart.
			off := make([]int, s.n)
			for j := range off {
				off[j] = (s.n - 1 - j) * (s.k + 2)
			}
			strideB := s.n*(s.k+2) + 1
			b := randSlice(r, (s.count-1)*strideB+s.n*(s.k+2))
			c0 := randSlice(r, s.m*s.n)
			var first []float32
			for _, procs := range []int{1, 2} {
				runtime.GOMAXPROCS(procs)
				c := slices.Clone(c0)
				SgemmRowsSum(s.m, s.n, s.k, 1.5, a, lda, strideA, b, off, strideB, beta, c, s.n, s.count)
				if first == nil {
					first = c
				} else {
					for i := range c {
						if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
							t.Fatalf("%s: GOMAXPROCS=%d gives C[%d] = %v, GOMAXPROCS=1 %v", what, procs, i, c[i], first[i])
						}
					}
				}
			}
			// The batch laid end to end: A [m, count·k], R [n, count·k].
			kk := s.count * s.k
			acat, rcat := make([]float32, s.m*kk), make([]float32, s.n*kk)
			catOff := make([]int, s.n)
			for i := range s.count {
				for row := range s.m {
					copy(acat[row*kk+i*s.k:], a[i*strideA+row*lda:][:s.k])
				}
				for j := range s.n {
					copy(rcat[j*kk+i*s.k:], b[i*strideB+off[j]:][:s.k])
					catOff[j] = j * kk
				}
			}
			want, scale := naive(false, true, s.m, s.n, kk, 1.5, acat, max(kk, 1), rcat, max(kk, 1), beta, c0, s.n)
			for i, v := range first {
				if d := math.Abs(float64(v) - want[i]); !(d <= bound(kk, scale[i])) {
					t.Fatalf("%s: C[%d] = %v, want %v", what, i, v, want[i])
				}
			}
			if best.dotKernel != nil && s.k%8 == 0 && kk > 0 {
				cat := slices.Clone(c0)
				SgemmRows(false, true, s.m, s.n, kk, 1.5, acat, kk, rcat, catOff, beta, cat, s.n)
				for i := range cat {
					if math.Float32bits(cat[i]) != math.Float32bits(first[i]) {
						t.Fatalf("%s: C[%d] = %v, SgemmRows end to end gives %v", what, i, first[i], cat[i])
					}
				}
			}
		}
	}
}

// TestSgemmRowsSumBadArgsPanic: a batch that would overrun A or B, or an
// empty one, panics with a message.
func TestSgemmRowsSumBadArgsPanic(t *testing.T) {
	a, b, c, off := make([]float32, 3*4*8), make([]float32, 3*2*8), make([]float32, 4*2), []int{0, 8}
	for name, f := range map[string]func(){
		"A short":  func() { SgemmRowsSum(4, 2, 8, 1, a[:80], 8, 32, b, off, 16, 0, c, 2, 3) },
		"B short":  func() { SgemmRowsSum(4, 2, 8, 1, a, 8, 32, b[:40], off, 16, 0, c, 2, 3) },
		"no batch": func() { SgemmRowsSum(4, 2, 8, 1, a, 8, 32, b, off, 16, 0, c, 2, 0) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// doneCheck is a BatchDone that keeps, for each product, how often Done
// was called and a copy of C_i as it stood then.
type doneCheck struct {
	c        []float32
	strideC  int
	lenC     int
	calls    []atomic.Int32
	snapshot [][]float32
}

func (d *doneCheck) Done(i int) {
	d.calls[i].Add(1)
	d.snapshot[i] = slices.Clone(d.c[i*d.strideC : i*d.strideC+d.lenC])
}

// TestSgemmBatchEach: Done comes once for every product, after C_i is
// final, on the sequential path and on products shared among goroutines.
func TestSgemmBatchEach(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r := rand.New(rand.NewPCG(9, 10))
	for _, s := range []struct{ m, n, k, count int }{{16, 784, 16, 9}, {64, 49, 256, 5}, {200, 300, 150, 3}} {
		for _, procs := range []int{1, 2} {
			runtime.GOMAXPROCS(procs)
			a, lda, b1, ldb, c1, ldc := operands(r, false, false, s.m, s.n, s.k)
			strideB, strideC := len(b1), len(c1)
			b := randSlice(r, s.count*strideB)
			c := make([]float32, s.count*strideC)
			d := &doneCheck{c: c, strideC: strideC, lenC: len(c1), calls: make([]atomic.Int32, s.count), snapshot: make([][]float32, s.count)}
			SgemmBatchEach(false, false, s.m, s.n, s.k, 1, a, lda, b, ldb, strideB, 0, c, ldc, strideC, s.count, d)
			for i := range s.count {
				if n := d.calls[i].Load(); n != 1 {
					t.Fatalf("%+v procs=%d: Done(%d) called %d times", s, procs, i, n)
				}
				if !slices.Equal(d.snapshot[i], c[i*strideC:i*strideC+len(c1)]) {
					t.Fatalf("%+v procs=%d: Done(%d) came before C_%d was final", s, procs, i, i)
				}
			}
		}
	}
}
