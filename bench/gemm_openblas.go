//go:build openblas && cgo

// This file, built only with -tags openblas, reaches OpenBLAS (Debian's
// libopenblas-dev) through cgo so that BenchmarkSgemm can compare with it;
// untied itself stays pure Go.

package bench

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
void openblas_set_num_threads(int);
char* openblas_get_corename(void);
*/
import "C"

import "unsafe"

// openblasSgemm is cblas_sgemm on row-major, untransposed operands.
func openblasSgemm(m, n, k int, a, b, c []float32) {
	C.cblas_sgemm(C.CblasRowMajor, C.CblasNoTrans, C.CblasNoTrans, C.blasint(m), C.blasint(n), C.blasint(k),
		1, (*C.float)(unsafe.Pointer(&a[0])), C.blasint(k), (*C.float)(unsafe.Pointer(&b[0])), C.blasint(n),
		0, (*C.float)(unsafe.Pointer(&c[0])), C.blasint(n))
}

// openblasThreads sets OpenBLAS's thread count and returns a function that
// restores the previous one.
func openblasThreads(n int) func() {
	old := int(C.openblas_get_num_threads())
	C.openblas_set_num_threads(C.int(n))
	return func() { C.openblas_set_num_threads(C.int(old)) }
}

// openblasCore names the kernel family OpenBLAS picked, which the
// environment variable OPENBLAS_CORETYPE (read when the library loads)
// overrides: 0.3.21 takes this machine's Xeon for a Prescott.
func openblasCore() string { return C.GoString(C.openblas_get_corename()) }
