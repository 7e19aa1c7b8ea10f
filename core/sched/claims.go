package sched

import "sync/atomic"

// Claims hands out the indices [0, n) of a parallel loop, each once: the
// caller's from the front (Front), its helpers' from the back (Back), so
// the caller runs a leading run of the loop and the helpers a trailing one,
// meeting wherever their speeds take them. Loops over the same data cut
// the same way then give each goroutine mostly the data it wrote in the
// loop before, in its own core's cache, rather than every other range.
type Claims struct {
	v atomic.Uint64 // front claims in the high 32 bits, back claims in the low
}

// Reset makes all of [0, n) claimable again. n must be below 2³²: each
// end's count is 32 bits.
func (c *Claims) Reset() { c.v.Store(0) }

// Front claims the first unclaimed index of [0, n); false when none is left.
func (c *Claims) Front(n int) (int, bool) {
	for {
		v := c.v.Load()
		f, b := int(v>>32), int(uint32(v))
		if f+b >= n {
			return 0, false
		}
		if c.v.CompareAndSwap(v, v+1<<32) {
			return f, true
		}
	}
}

// Back claims the last unclaimed index of [0, n); false when none is left.
func (c *Claims) Back(n int) (int, bool) {
	for {
		v := c.v.Load()
		f, b := int(v>>32), int(uint32(v))
		if f+b >= n {
			return 0, false
		}
		if c.v.CompareAndSwap(v, v+1) {
			return n - 1 - b, true
		}
	}
}
