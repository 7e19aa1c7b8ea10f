package sched

import (
	"fmt"
	"runtime"
	"testing"
)

// countRanger counts how often each index is run.
type countRanger struct{ seen []int32 }

func (c *countRanger) Range(i0, i1 int) {
	for i := i0; i < i1; i++ {
		c.seen[i]++ // each index belongs to one range: no race
	}
}

func TestParallelRunsEachIndexOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, n := range []int{0, 1, 2, 7, 64, 1000, 4097} {
		for _, grain := range []int{0, 1, 3, 100, 5000} {
			c := &countRanger{seen: make([]int32, n)}
			Parallel(n, grain, c)
			for i, v := range c.seen {
				if v != 1 {
					t.Fatalf("Parallel(%d, %d): index %d ran %d times, want 1", n, grain, i, v)
				}
			}
		}
	}
}

func TestParallelAllocatesNothing(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	c := &countRanger{seen: make([]int32, 1000)}
	Parallel(1000, 10, c) // warm up the pool
	if a := testing.AllocsPerRun(100, func() { Parallel(1000, 10, c) }); a != 0 {
		t.Errorf("Parallel allocates %v times per call, want 0", a)
	}
}

// sumRanger sums one row of floats (in L1) once per index: a compute-bound
// loop whose whole run takes tens of microseconds to a millisecond, where
// a worker that must be woken arrives late.
type sumRanger struct {
	row  []float32
	sums []float32
}

func (s *sumRanger) Range(i0, i1 int) {
	for i := i0; i < i1; i++ {
		var t float32
		for _, v := range s.row {
			t += v
		}
		s.sums[i] = t
	}
}

// BenchmarkParallel times Parallel over loops of about 15 µs, 140 µs and
// 1 ms on one thread, with -cpu 1,2.
func BenchmarkParallel(b *testing.B) {
	for _, n := range []int{16, 128, 1024} {
		s := &sumRanger{row: make([]float32, 1024), sums: make([]float32, n)}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				Parallel(n, 1, s)
			}
		})
	}
}
