package sched

import (
	"sync"
	"sync/atomic"
	"time"
)

// A Task is work shared with the pool: each worker given it calls Help
// once, which runs that worker's share and signals the caller (a
// sync.WaitGroup's Done, typically) when it is through.
type Task interface{ Help() }

// Start hands t to n workers, starting goroutines until the pool has at
// least n, and returns at once; the caller does its own share and waits
// for the workers' signals.
func Start(n int, t Task) { workers.start(n, t) }

// workers is the persistent pool: goroutines started on first need, which
// live as long as the process.
var workers pool

type pool struct {
	mu    sync.Mutex
	n     int
	tasks chan Task
}

func (w *pool) start(n int, t Task) {
	w.mu.Lock()
	if w.tasks == nil {
		w.tasks = make(chan Task, 64)
	}
	for ; w.n < n; w.n++ {
		go worker(w.tasks)
	}
	w.mu.Unlock()
	for range n {
		w.tasks <- t
	}
}

func worker(tasks <-chan Task) {
	for t := range tasks {
		for t != nil {
			t.Help()
			t = poll(tasks)
		}
	}
}

// spinTime is how long a worker that has finished a task keeps polling for
// the next before it blocks, and a caller polls for its workers' shares
// before it blocks (Await). A blocked goroutine's thread goes to sleep,
// and waking it (on a virtual machine, through the hypervisor) takes tens
// to hundreds of microseconds: a loop of a few hundred microseconds then
// runs on one thread, its helper arriving when it is over. The step's
// parallel loops follow each other closely, so a polling worker takes the
// next at once, at the cost of the CPU time it polls (as OpenMP's workers
// spin between parallel regions). The polls never yield to the Go
// scheduler: a yielding poller would take turns on its P with the
// goroutine it waits for.
const spinTime = 200 * time.Microsecond

// poll returns the next task if one arrives within spinTime, else nil.
func poll(tasks <-chan Task) Task {
	var deadline time.Time
	for i := 0; ; i++ {
		select {
		case t := <-tasks:
			return t
		default:
		}
		if i%256 == 0 && past(&deadline) {
			return nil
		}
	}
}

// past reports whether spinTime has passed since its first call with
// *deadline zero, which it sets.
func past(deadline *time.Time) bool {
	now := time.Now()
	if deadline.IsZero() {
		*deadline = now.Add(spinTime)
		return false
	}
	return now.After(*deadline)
}

// Await waits until left is zero, polling it for up to spinTime, then
// for wg: a caller's wait for the n workers it started, each of which
// decrements left and then calls wg.Done. Polling first keeps the caller
// from sleeping (and from being woken) when its workers finish soon after
// it.
func Await(left *atomic.Int32, wg *sync.WaitGroup) {
	var deadline time.Time
	for i := 0; left.Load() > 0; i++ {
		if i%256 == 0 && past(&deadline) {
			break
		}
	}
	wg.Wait()
}

// A FreeList is a stack of reusable values, kept for the life of the
// process (a sync.Pool drops its contents at garbage collections, and
// refilling it allocates): Get allocates only when the list is empty.
type FreeList[T any] struct {
	mu    sync.Mutex
	items []*T
}

// Get returns a value from the list, or a new zero one.
func (l *FreeList[T]) Get() *T {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k := len(l.items); k > 0 {
		t := l.items[k-1]
		l.items = l.items[:k-1]
		return t
	}
	return new(T)
}

// Put returns t to the list.
func (l *FreeList[T]) Put(t *T) {
	l.mu.Lock()
	l.items = append(l.items, t)
	l.mu.Unlock()
}
