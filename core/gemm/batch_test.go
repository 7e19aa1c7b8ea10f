package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
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
