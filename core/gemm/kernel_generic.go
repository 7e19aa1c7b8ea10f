package gemm

// Cache blocking of the generic kernel: a kc×nc panel of B (256 KiB) stays
// in L2 while rows of A stream past it.
const (
	kc = 128
	nc = 512
)

// blocked adds alpha·A[i0:i1,:]·B to C[i0:i1,:], all row-major and
// untransposed, walking k in order so each C element sums its products in
// the same sequence on every call.
func blocked(i0, i1, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for j0 := 0; j0 < n; j0 += nc {
		j1 := min(j0+nc, n)
		for p0 := 0; p0 < k; p0 += kc {
			p1 := min(p0+kc, k)
			i := i0
			for ; i+4 <= i1; i += 4 {
				rows4(i, j0, j1, p0, p1, alpha, a, lda, b, ldb, c, ldc)
			}
			for ; i < i1; i++ {
				row1(i, j0, j1, p0, p1, alpha, a, lda, b, ldb, c, ldc)
			}
		}
	}
}

// rows4 updates four rows of C, loading each element of B once for all four.
func rows4(i, j0, j1, p0, p1 int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	w := j1 - j0
	c0 := c[i*ldc+j0 : i*ldc+j0+w]
	c1 := c[(i+1)*ldc+j0 : (i+1)*ldc+j0+w]
	c2 := c[(i+2)*ldc+j0 : (i+2)*ldc+j0+w]
	c3 := c[(i+3)*ldc+j0 : (i+3)*ldc+j0+w]
	for p := p0; p < p1; p++ {
		a0 := alpha * a[i*lda+p]
		a1 := alpha * a[(i+1)*lda+p]
		a2 := alpha * a[(i+2)*lda+p]
		a3 := alpha * a[(i+3)*lda+p]
		br := b[p*ldb+j0 : p*ldb+j0+w]
		for j, bv := range br {
			c0[j] += a0 * bv
			c1[j] += a1 * bv
			c2[j] += a2 * bv
			c3[j] += a3 * bv
		}
	}
}

func row1(i, j0, j1, p0, p1 int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	w := j1 - j0
	c0 := c[i*ldc+j0 : i*ldc+j0+w]
	for p := p0; p < p1; p++ {
		a0 := alpha * a[i*lda+p]
		br := b[p*ldb+j0 : p*ldb+j0+w]
		for j, bv := range br {
			c0[j] += a0 * bv
		}
	}
}
