package sched

import (
	"sync"
	"testing"
)

// TestClaimsHandsOutEachIndexOnce: one goroutine claiming from the front
// and three from the back share [0, n) exactly, the front's claims a
// leading run 0, 1, 2, … and each back claimer's a descending sequence.
func TestClaimsHandsOutEachIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 5, 64, 10000} {
		var c Claims
		c.Reset()
		seen := make([]int32, n)
		var front []int
		var back [3][]int
		var wg sync.WaitGroup
		wg.Add(4)
		go func() {
			defer wg.Done()
			for {
				i, ok := c.Front(n)
				if !ok {
					return
				}
				front = append(front, i)
			}
		}()
		for b := range back {
			go func() {
				defer wg.Done()
				for {
					i, ok := c.Back(n)
					if !ok {
						return
					}
					back[b] = append(back[b], i)
				}
			}()
		}
		wg.Wait()
		for i, v := range front {
			if v != i {
				t.Fatalf("n %d: the front's claim %d is index %d, want %d", n, i, v, i)
			}
			seen[v]++
		}
		for _, bs := range back {
			for j, v := range bs {
				if j > 0 && v >= bs[j-1] {
					t.Fatalf("n %d: a back claimer took %d after %d, want descending", n, v, bs[j-1])
				}
				seen[v]++
			}
		}
		for i, v := range seen {
			if v != 1 {
				t.Fatalf("n %d: index %d claimed %d times, want 1", n, i, v)
			}
		}
		if _, ok := c.Front(n); ok {
			t.Fatalf("n %d: Front claimed after all were claimed", n)
		}
	}
}
