// Package sched is the engine's scheduler: one pool of persistent worker
// goroutines that every parallel loop of the project shares (the GEMM's
// chunks, convolution lowering, BatchNorm, elementwise passes, the rules'
// reductions), so the process never runs more busy goroutines than
// GOMAXPROCS, and a parallel call allocates nothing once the pool has
// grown.
//
// Parallel runs an index loop; Start hands a Task of one's own (the GEMM's
// jobs) to the workers. Each index, or each share of a task, runs exactly
// once in one goroutine, so work whose pieces write disjoint outputs gives
// the same result whatever the number of threads.
package sched
