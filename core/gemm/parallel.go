package gemm

import "github.com/untied-ml/untied/core/sched"

// Ranger and Parallel are core/sched's, until their callers import it.
type Ranger = sched.Ranger

// Parallel is sched.Parallel.
func Parallel(n, grain int, r Ranger) { sched.Parallel(n, grain, r) }
