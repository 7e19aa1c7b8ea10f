package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/untied-ml/untied/bench/internal/peak"
	"github.com/untied-ml/untied/core/gemm"
)

// gemmShapes are M×N×K: squares, then the im2col convolutions of the models
// (C[cout × H·W] = W[cout × cin·9] · col[cin·9 × H·W]).
var gemmShapes = [][3]int{
	{64, 64, 64}, {128, 128, 128}, {256, 256, 256}, {512, 512, 512},
	{1024, 1024, 1024}, {2048, 2048, 2048},
	{64, 25088, 576}, {16, 12544, 144}, {128, 1568, 1152}, {16, 32768, 27},
}

// sgemmFunc is one implementation under benchmark, with Sgemm's arguments
// (no transposes). setThreads fixes its thread count for what follows and
// returns a function that restores the previous setting.
type sgemmFunc struct {
	name       string
	setThreads func(int) (restore func())
	run        func(m, n, k int, a, b, c []float32)
}

// setGOMAXPROCS is setThreads for the pure-Go implementations.
func setGOMAXPROCS(n int) func() {
	old := runtime.GOMAXPROCS(n)
	return func() { runtime.GOMAXPROCS(old) }
}

// gemmImpls lists untied's implementations; build-tagged files add others.
var gemmImpls = func() []sgemmFunc {
	var fs []sgemmFunc
	for _, name := range gemm.Impls() {
		fs = append(fs, sgemmFunc{name, setGOMAXPROCS, func(m, n, k int, a, b, c []float32) {
			gemm.SgemmImpl(name, false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		}})
	}
	return fs
}()

// BenchmarkSgemm reports GFLOP/s (2·M·N·K per call) per implementation,
// thread count and shape, named for `benchstat -col /impl`, and GFLOP per
// CPU-second: the speed on a machine shared with other work, for one
// thread; for two, the work lost to splitting (ideal: equal to one thread's).
func BenchmarkSgemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, f := range gemmImpls {
		for _, threads := range []int{1, 2} {
			for _, s := range gemmShapes {
				m, n, k := s[0], s[1], s[2]
				if f.name == "generic" && m*n*k > 1<<28 || f.name == "gonum" && m*n*k > 1<<30 {
					continue // seconds per call, and not what we tune
				}
				name := fmt.Sprintf("impl=%s/threads=%d/shape=%dx%dx%d", f.name, threads, m, n, k)
				b.Run(name, func(b *testing.B) {
					defer f.setThreads(threads)()
					a, bb, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
					f.run(m, n, k, a, bb, c) // warm up: buffers, pools
					b.ReportAllocs()
					b.ResetTimer()
					cpu0 := cpuSeconds()
					for b.Loop() {
						f.run(m, n, k, a, bb, c)
					}
					cpu := cpuSeconds() - cpu0
					gflop := 2 * float64(m) * float64(n) * float64(k) * float64(b.N) / 1e9
					b.ReportMetric(gflop/b.Elapsed().Seconds(), "GFLOP/s")
					if cpu0 >= 0 && cpu > 0 {
						// On a shared machine, wall time counts other
						// processes' turns; CPU time (all threads) does not.
						b.ReportMetric(gflop/cpu, "GFLOP/cpu-s")
					}
				})
			}
		}
	}
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// BenchmarkPeak reports one core's FMA peak for each instruction set the
// kernels use (GFLOP/s, and GFLOP per CPU-second), the yardstick for
// BenchmarkSgemm's "percent of peak", taken in the same run because on a
// shared virtual machine it moves.
func BenchmarkPeak(b *testing.B) {
	if len(peak.Loops()) == 0 {
		b.Skip("no FMA peak loop in this build")
	}
	const n = 1 << 20
	for _, l := range peak.Loops() {
		b.Run("isa="+l.ISA+"/threads=1", func(b *testing.B) {
			defer setGOMAXPROCS(1)()
			cpu0 := cpuSeconds()
			for b.Loop() {
				l.Run(n)
			}
			flop := float64(n) * float64(l.Flops) * float64(b.N) / 1e9
			b.ReportMetric(flop/b.Elapsed().Seconds(), "GFLOP/s")
			if cpu := cpuSeconds() - cpu0; cpu0 >= 0 && cpu > 0 {
				b.ReportMetric(flop/cpu, "GFLOP/cpu-s")
			}
		})
	}
}
