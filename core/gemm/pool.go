package gemm

import (
	"runtime"
	"sync"
)

// minChunkFlops is the least work (2·m·n·k) worth handing to another goroutine.
const minChunkFlops = 1 << 21

// run splits C into at most GOMAXPROCS ranges of rows or columns, runs them
// on the worker pool and the calling goroutine, and waits. k is never split:
// each element of C is computed by one goroutine, in one order.
func run(cl *call) {
	im := cl.im
	procs := runtime.GOMAXPROCS(0)
	flops := 2 * cl.m * cl.n * cl.k
	// Split the larger of m and n: each goroutine packs all of the other
	// operand, so that keeps the repeated packing small.
	cl.splitN = cl.n >= cl.m
	dim, unit := cl.m, im.mr
	if cl.splitN {
		dim, unit = cl.n, im.nr
	}
	parts := min(procs, max(1, flops/minChunkFlops), (dim+unit-1)/unit)
	chunk := ((dim+parts-1)/parts + unit - 1) / unit * unit
	cl.chunk, cl.nchunks = chunk, (dim+chunk-1)/chunk

	bf := bufPool.Get().(*buffers)
	defer bufPool.Put(bf)
	if cl.nchunks == 1 {
		cl.do(bf, 0)
		return
	}
	j := jobPool.Get().(*job)
	j.call = *cl
	j.wg.Add(cl.nchunks - 1)
	workers.ensure(cl.nchunks - 1)
	for q := 1; q < cl.nchunks; q++ {
		workers.tasks <- task{j, q}
	}
	j.call.do(bf, 0)
	j.wg.Wait()
	j.call = call{} // drop references to the caller's matrices
	jobPool.Put(j)
}

type job struct {
	call call
	wg   sync.WaitGroup
}

type task struct {
	j *job
	q int
}

var (
	bufPool = sync.Pool{New: func() any { return new(buffers) }}
	jobPool = sync.Pool{New: func() any { return new(job) }}
)

// workers is the persistent pool: goroutines started on first need, each
// with its own packing buffers, which live as long as the process.
var workers pool

type pool struct {
	mu    sync.Mutex
	n     int
	tasks chan task
}

// ensure starts workers until there are at least n.
func (w *pool) ensure(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.tasks == nil {
		w.tasks = make(chan task, 64)
	}
	for ; w.n < n; w.n++ {
		go worker(w.tasks)
	}
}

func worker(tasks <-chan task) {
	bf := new(buffers)
	for t := range tasks {
		t.j.call.do(bf, t.q)
		t.j.wg.Done()
	}
}
