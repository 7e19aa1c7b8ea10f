//go:build openblas && cgo

package bench

// OpenBLAS shows in the results as impl=openblas-CORE, CORE being the kernel
// family it runs (see openblasCore).
func init() {
	gemmImpls = append(gemmImpls, sgemmFunc{"openblas-" + openblasCore(), openblasThreads, openblasSgemm})
}
