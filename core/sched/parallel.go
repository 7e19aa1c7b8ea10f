package sched

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// A Ranger is a loop over indices whose iterations are independent:
// Range(i0, i1) runs iterations i0 to i1−1.
type Ranger interface {
	Range(i0, i1 int)
}

// Parallel runs r over [0, n) on the calling goroutine and the pool's
// workers, in ranges of at least grain iterations, and returns when all
// are done. As a plain loop it is r.Range(0, n).
//
// Each iteration runs exactly once, in one goroutine, so a loop whose
// iterations write disjoint outputs gives the same result whatever
// GOMAXPROCS is. Ranges are claimed in turn, so a worker whose CPU is taken
// by another process simply claims fewer. Passing a pointer to a long-lived
// Ranger (a field of the caller's struct) keeps the call allocation-free,
// where a closure would be allocated on every call.
func Parallel(n, grain int, r Ranger) {
	grain = max(grain, 1)
	procs := runtime.GOMAXPROCS(0)
	helpers := min(procs, (n+grain-1)/grain)
	if helpers <= 1 {
		if n > 0 {
			r.Range(0, n)
		}
		return
	}
	// A few ranges per goroutine, so a late or slow one still gets its share.
	parts := min((n+grain-1)/grain, 4*helpers)
	f := forFree.Get()
	f.r, f.n, f.chunk = r, n, (n+parts-1)/parts
	f.next.Store(0)
	f.left.Store(int32(helpers - 1))
	f.wg.Add(helpers - 1)
	Start(helpers-1, f)
	f.work()
	Await(&f.left, &f.wg)
	f.r = nil
	forFree.Put(f)
}

// A forJob is one Parallel call shared with the pool.
type forJob struct {
	r        Ranger
	n, chunk int
	next     atomic.Int64
	left     atomic.Int32 // workers not through
	wg       sync.WaitGroup
}

var forFree FreeList[forJob]

func (f *forJob) work() {
	for {
		i0 := int(f.next.Add(1)-1) * f.chunk
		if i0 >= f.n {
			return
		}
		f.r.Range(i0, min(i0+f.chunk, f.n))
	}
}

// Help runs a worker's share of the loop.
func (f *forJob) Help() {
	f.work()
	f.left.Add(-1)
	f.wg.Done()
}
