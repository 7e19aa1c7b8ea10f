package bench

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gonum's pure-Go Sgemm, which splits work over GOMAXPROCS goroutines.
func init() {
	var impl gonum.Implementation
	gemmImpls = append(gemmImpls, sgemmFunc{"gonum", setGOMAXPROCS, func(m, n, k int, a, b, c []float32) {
		impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
	}})
}
