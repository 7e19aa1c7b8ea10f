// Package gemm is the matrix-multiply engine: Sgemm on row-major float32
// matrices, in BLAS terms. It knows nothing of layers; core/conv builds
// convolutions on it.
//
// Every output element accumulates its k products in the same order however
// many goroutines share the work, so results do not depend on GOMAXPROCS.
package gemm
