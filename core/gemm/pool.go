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
	mr, nr := im.mr, im.nr
	if cl.dotCall() {
		mr, nr = dotMR, dotNR
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

	bf := bufFree.get()
	defer bufFree.put(bf)
	if helpers == 1 {
		for q := 0; q < cl.nchunks; q++ {
			cl.do(bf, q)
		}
		return
	}
	j := jobFree.get()
	j.call = *cl
	j.next.Store(0)
	j.wg.Add(helpers - 1)
	workers.start(helpers-1, j)
	j.work(bf)
	j.wg.Wait()
	j.call = call{} // drop references to the caller's matrices
	jobFree.put(j)
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

func (j *job) help(bf *buffers) {
	j.work(bf)
	j.wg.Done()
}

// A task is what the pool's workers run: a share of a job, after which it
// signals its caller.
type task interface{ help(bf *buffers) }

// bufFree holds the packing buffers of calling goroutines and jobFree the
// shared jobs, both kept for the life of the process (a sync.Pool drops
// its contents at garbage collections, and refilling it allocates).
var (
	bufFree freeList[buffers]
	jobFree freeList[job]
)

// A freeList is a stack of reusable values; it allocates only to grow.
type freeList[T any] struct {
	mu    sync.Mutex
	items []*T
}

func (l *freeList[T]) get() *T {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k := len(l.items); k > 0 {
		t := l.items[k-1]
		l.items = l.items[:k-1]
		return t
	}
	return new(T)
}

func (l *freeList[T]) put(t *T) {
	l.mu.Lock()
	l.items = append(l.items, t)
	l.mu.Unlock()
}

// workers is the persistent pool: goroutines started on first need, each
// with its own packing buffers, which live as long as the process.
var workers pool

type pool struct {
	mu    sync.Mutex
	n     int
	tasks chan task
}

// start hands t to n workers, starting workers until there are at least n.
func (w *pool) start(n int, t task) {
	w.mu.Lock()
	if w.tasks == nil {
		w.tasks = make(chan task, 64)
	}
	for ; w.n < n; w.n++ {
		go worker(w.tasks)
	}
	w.mu.Unlock()
	for range n {
		w.tasks <- t
	}
}

func worker(tasks <-chan task) {
	bf := new(buffers)
	for t := range tasks {
		t.help(bf)
	}
}
