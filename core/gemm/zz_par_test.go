package gemm

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"
	"os"
)

func TestPar(t *testing.T) {
	if os.Getenv("PAR") == "" {
		t.Skip()
	}
	m, n, k := 1024, 1024, 1024
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for _, p := range []int{1, 2, 1, 2} {
		runtime.GOMAXPROCS(p)
		Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		var r0, r1 syscall.Rusage
		syscall.Getrusage(0, &r0)
		w0 := time.Now()
		for i := 0; i < 20; i++ {
			Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		}
		w := time.Since(w0).Seconds()
		syscall.Getrusage(0, &r1)
		cpu := float64(r1.Utime.Nano()-r0.Utime.Nano()+r1.Stime.Nano()-r0.Stime.Nano()) / 1e9
		fmt.Printf("procs=%d wall %.3f cpu %.3f ratio %.2f GFLOP/s %.1f\n", p, w, cpu, cpu/w, 20*2*float64(m*n*k)/w/1e9)
	}
}
