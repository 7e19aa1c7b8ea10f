//go:build !unix

package bench

// cpuSeconds is not measured here; BenchmarkSgemm then reports no
// GFLOP/cpu-s.
func cpuSeconds() float64 { return -1 }
