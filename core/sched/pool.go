package sched

import "sync"

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
		t.Help()
	}
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
