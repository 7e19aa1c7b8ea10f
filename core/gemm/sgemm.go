package gemm

import "fmt"

// Sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices, where
// op(X) is X or Xᵀ as tA, tB say. op(A) is m×k, op(B) is k×n, C is m×n; lda,
// ldb and ldc are the row strides of A, B and C as stored. With beta = 0, C
// is overwritten (NaNs in it do not survive). As a plain loop:
//
//	for i := 0; i < m; i++ {
//		for j := 0; j < n; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += opA(i, p) * opB(p, j)
//			}
//			c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
//		}
//	}
//
// Bad dimensions or short slices panic with a message naming the argument,
// as a BLAS would: they are programming errors, caught before any kernel runs.
func Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(best, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemm is Sgemm on a given impl.
func sgemm(im *impl, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	start(&call{im: im, tA: tA, tB: tB, m: m, n: n, k: k,
		alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc})
}

// start runs a checked call, but nothing when C is empty and only
// C = beta·C when there is no product (alpha or k is 0).
func start(cl *call) {
	if cl.m == 0 || cl.n == 0 {
		return
	}
	if cl.alpha == 0 || cl.k == 0 {
		if cl.beta != 1 {
			scaleC(cl.m, cl.n, cl.beta, cl.c, cl.ldc)
		}
		return
	}
	run(cl)
}

func checkArgs(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	checkAC(tA, m, n, k, a, lda, c, ldc)
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	need("B", br, bc, ldb, len(b))
}

// checkAC checks the dimensions, A and C.
func checkAC(tA bool, m, n, k int, a []float32, lda int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	need("A", ar, ac, lda, len(a))
	need("C", m, n, ldc, len(c))
}

// need panics unless a rows×cols matrix with row stride ld fits in have
// elements.
func need(name string, rows, cols, ld, have int) {
	if ld < max(cols, 1) {
		panic(fmt.Sprintf("gemm: %s stride %d < %d columns", name, ld, cols))
	}
	if rows > 0 && cols > 0 && have < (rows-1)*ld+cols {
		panic(fmt.Sprintf("gemm: %s has %d elements, need %d for %d×%d with stride %d",
			name, have, (rows-1)*ld+cols, rows, cols, ld))
	}
}

func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
