// Package peak measures the CPU's floating-point peak in the same run as
// the benchmarks it is the yardstick for: on a shared virtual machine the
// clock, and so the peak, differs from host to host and hour to hour (61
// to 95 GFLOP/s per core measured here within one day), so a fixed
// figure would misstate any "percent of peak".
package peak

// FlopsPerIter is the float32 operations of one iteration of FMA: twelve
// 8-lane fused multiply-adds.
const FlopsPerIter = 12 * 8 * 2
