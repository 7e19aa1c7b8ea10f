package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/untied-ml/untied/core/sched"
)

const (
	// minChunkFlops is the least work (2·m·n·k) worth handing to another
	// goroutine.
	minChunkFlops = 1 << 21
	// minChunkWidth is the narrowest chunk of C (rows or columns) beyond the
	// first GOMAXPROCS: each chunk packs all of the other operand again, and
	// at this width that costs a few percent of its multiply.
	minChunkWidth = 768
)

// run splits C into ranges of rows or columns (chunks) and computes them on
// the calling goroutine and the worker pool (core/sched), which claim chunks in turn
// until none is left, and waits. A helper that is slow (another process has
// its CPU) then simply takes fewer chunks. k is never split: each element of
// C is computed by one goroutine, in one order.
func run(cl *call) {
	im := cl.im
	procs := runtime.GOMAXPROCS(0)
	flops := 2 * cl.m * cl.n * cl.k * max(cl.segs, 1)
	// Split the larger of m and n: each chunk packs all of the other
	// operand, so that keeps the repeated packing small.
	cl.splitN = cl.n >= cl.m
	mr, nr := im.mr, im.nr
	if cl.dotCall() {
		mr, nr = im.dotMR, im.dotNR
	}
	dim, unit := cl.m, mr
	if cl.splitN {
		dim, unit = cl.n, nr
	}
	tiles := (dim + unit - 1) / unit
	helpers := min(procs, max(1, flops/minChunkFlops), tiles)
	parts := min(tiles, max(helpers, dim/minChunkWidth))
	chunk := (tiles + parts - 1) / parts * unit
	cl.chunk, cl.nchunks = chunk, (dim+chunk-1)/chunk

	bf := bufFree.Get()
	defer bufFree.Put(bf)
	if helpers == 1 {
		for q := 0; q < cl.nchunks; q++ {
			cl.do(bf, q)
		}
		return
	}
	j := jobFree.Get()
	j.call = *cl
	j.claims.Reset()
	j.left.Store(int32(helpers - 1))
	j.wg.Add(helpers - 1)
	sched.Start(helpers-1, j)
	j.work(bf, true)
	sched.Await(&j.left, &j.wg)
	j.call = call{} // drop references to the caller's matrices
	jobFree.Put(j)
}

// A job is a call shared by goroutines, which claim its chunks through claims.
type job struct {
	call   call
	claims sched.Claims
	left   atomic.Int32   // helpers not through
	wg     sync.WaitGroup // the pool's helpers
}

// work computes chunks of the job until none is left: the caller's from
// the front, a helper's from the back (sched.Claims), so a core's columns
// of C are mostly those whose images it laid out.
func (j *job) work(bf *buffers, caller bool) {
	for {
		q, ok := 0, false
		if caller {
			q, ok = j.claims.Front(j.call.nchunks)
		} else {
			q, ok = j.claims.Back(j.call.nchunks)
		}
		if !ok {
			return
		}
		j.call.do(bf, q)
	}
}

// Help is a worker's share of the job, with packing buffers of its own.
func (j *job) Help() {
	bf := bufFree.Get()
	j.work(bf, false)
	bufFree.Put(bf)
	j.left.Add(-1)
	j.wg.Done()
}

// bufFree holds the packing buffers of the goroutines computing chunks and
// jobFree the shared jobs, both kept for the life of the process.
var (
	bufFree sched.FreeList[buffers]
	jobFree sched.FreeList[job]
)
