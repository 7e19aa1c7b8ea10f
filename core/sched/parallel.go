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
// GOMAXPROCS is. Ranges are claimed in turn (Claims: the caller's from the
// front, the workers' from the back), so a worker whose CPU is taken by
// another process simply claims fewer, and loops over the same data cut
// alike run mostly on the core that wrote it. Passing a pointer to a long-lived
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
	f.claims.Reset()
	f.left.Store(int32(helpers - 1))
	f.wg.Add(helpers - 1)
	Start(helpers-1, f)
	f.work(true)
	Await(&f.left, &f.wg)
	f.r = nil
	forFree.Put(f)
}

// A forJob is one Parallel call shared with the pool.
type forJob struct {
	r        Ranger
	n, chunk int
	claims   Claims
	left     atomic.Int32 // workers not through
	wg       sync.WaitGroup
}

var forFree FreeList[forJob]

// work runs ranges until none is left: from the front for the caller,
// from the back for a helper.
func (f *forJob) work(caller bool) {
	parts := (f.n + f.chunk - 1) / f.chunk
	for {
		q, ok := 0, false
		if caller {
			q, ok = f.claims.Front(parts)
		} else {
			q, ok = f.claims.Back(parts)
		}
		if !ok {
			return
		}
		i0 := q * f.chunk
		f.r.Range(i0, min(i0+f.chunk, f.n))
	}
}

// Help runs a worker's share of the loop.
func (f *forJob) Help() {
	f.work(false)
	f.left.Add(-1)
	f.wg.Done()
}
