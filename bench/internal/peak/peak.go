// Package peak measures the CPU's floating-point peak in the same run as
// the benchmarks it is the yardstick for: on a shared virtual machine the
// clock, and so the peak, differs from host to host and hour to hour (61
// to 95 GFLOP/s per core measured here within one day), so a fixed
// figure would misstate any "percent of peak".
package peak

// A Loop is one instruction set's peak loop: Run(n) issues n iterations of
// independent FMA chains with no memory access, Flops float32 operations
// each.
type Loop struct {
	ISA   string // e.g. avx2-fma, avx512-fma: the benchmark's name for it
	Flops int
	Run   func(n int)
}

// Loops lists the peak loops this CPU can run, narrowest first.
func Loops() []Loop { return loops }
