package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
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
// the calling goroutine and the worker pool, which claim chunks in turn
// until none is left, and waits. A helper that is slow (another process has
// its CPU) then simply takes fewer chunks. k is never split: each element of
// C is computed by one goroutine, in one order.
func run(cl *call) {
	im := cl.im
	procs := runtime.GOMAXPROCS(0)
	flops := 2 * cl.m * cl.n * cl.k
	// Split the larger of m and n: each chunk packs all of the other
	// operand, so that keeps the repeated packing small.
	cl.splitN = cl.n >= cl.m
	dim, unit := cl.m, im.mr
	if cl.splitN {
		dim, unit = cl.n, im.nr
	}
	tiles := (dim + unit - 1) / unit
	helpers := min(procs, max(1, flops/minChunkFlops), tiles)
	parts := min(tiles, max(helpers, dim/minChunkWidth))
	chunk := (tiles + parts - 1) / parts * unit
	cl.chunk, cl.nchunks = chunk, (dim+chunk-1)/chunk

	bf := bufPool.Get().(*buffers)
	defer bufPool.Put(bf)
	if helpers == 1 {
		for q := 0; q < cl.nchunks; q++ {
			cl.do(bf, q)
		}
		return
	}
	j := jobPool.Get().(*job)
	j.call = *cl
	j.next.Store(0)
	j.wg.Add(helpers - 1)
	workers.ensure(helpers - 1)
	for range helpers - 1 {
		workers.jobs <- j
	}
	j.work(bf)
	j.wg.Wait()
	j.call = call{} // drop references to the caller's matrices
	jobPool.Put(j)
}

// A job is a call shared by goroutines, which claim its chunks through next.
type job struct {
	call call
	next atomic.Int64
	wg   sync.WaitGroup // the pool's helpers
}

// work computes chunks of the job until none is left.
func (j *job) work(bf *buffers) {
	for {
		q := int(j.next.Add(1) - 1)
		if q >= j.call.nchunks {
			return
		}
		j.call.do(bf, q)
	}
}

var (
	bufPool = sync.Pool{New: func() any { return new(buffers) }}
	jobPool = sync.Pool{New: func() any { return new(job) }}
)

// workers is the persistent pool: goroutines started on first need, each
// with its own packing buffers, which live as long as the process.
var workers pool

type pool struct {
	mu   sync.Mutex
	n    int
	jobs chan *job
}

// ensure starts workers until there are at least n.
func (w *pool) ensure(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.jobs == nil {
		w.jobs = make(chan *job, 64)
	}
	for ; w.n < n; w.n++ {
		go worker(w.jobs)
	}
}

func worker(jobs <-chan *job) {
	bf := new(buffers)
	for j := range jobs {
		j.work(bf)
		j.wg.Done()
	}
}
