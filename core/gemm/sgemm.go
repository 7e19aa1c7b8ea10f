package gemm

import (
	"fmt"
	"runtime"
	"sync"
)

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
	checkArgs(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if beta != 1 {
		scaleC(m, n, beta, c, ldc)
	}
	if alpha == 0 || k == 0 {
		return
	}
	ws := getWorkspace()
	defer putWorkspace(ws)
	// Bring op(A) and op(B) to row-major m×k and k×n form.
	if tA {
		ws.a = transposeInto(ws.a, a, lda, k, m)
		a, lda = ws.a, k
	}
	if tB {
		ws.b = transposeInto(ws.b, b, ldb, n, k)
		b, ldb = ws.b, n
	}
	parallelRows(m, n, k, func(i0, i1 int) {
		blocked(i0, i1, n, k, alpha, a, lda, b, ldb, c, ldc)
	})
}

func checkArgs(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	need := func(name string, rows, cols, ld, have int) {
		if ld < max(cols, 1) {
			panic(fmt.Sprintf("gemm: %s stride %d < %d columns", name, ld, cols))
		}
		if rows > 0 && cols > 0 && have < (rows-1)*ld+cols {
			panic(fmt.Sprintf("gemm: %s has %d elements, need %d for %d×%d with stride %d",
				name, have, (rows-1)*ld+cols, rows, cols, ld))
		}
	}
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	need("A", ar, ac, lda, len(a))
	need("B", br, bc, ldb, len(b))
	need("C", m, n, ldc, len(c))
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

// transposeInto stores the rows×cols matrix src (stride ld) transposed, as a
// dense cols×rows matrix, in buf (grown if needed).
func transposeInto(buf, src []float32, ld, rows, cols int) []float32 {
	if cap(buf) < rows*cols {
		buf = make([]float32, rows*cols)
	}
	buf = buf[:rows*cols]
	for r := 0; r < rows; r++ {
		s := src[r*ld : r*ld+cols]
		for j, v := range s {
			buf[j*rows+r] = v
		}
	}
	return buf
}

type workspace struct{ a, b []float32 }

var wsPool = sync.Pool{New: func() any { return new(workspace) }}

func getWorkspace() *workspace  { return wsPool.Get().(*workspace) }
func putWorkspace(w *workspace) { wsPool.Put(w) }

// minParallelFlops is the work below which splitting across goroutines
// costs more than it saves.
const minParallelFlops = 1 << 18

// parallelRows splits the m rows of C into contiguous ranges, one per
// goroutine. Rows are independent, so the split does not change results.
func parallelRows(m, n, k int, f func(i0, i1 int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || m < 8 || m*n*k < minParallelFlops {
		f(0, m)
		return
	}
	workers = min(workers, m/4)
	chunk := (m + workers - 1) / workers
	chunk = (chunk + 3) &^ 3
	var wg sync.WaitGroup
	for i0 := 0; i0 < m; i0 += chunk {
		wg.Go(func() { f(i0, min(i0+chunk, m)) })
	}
	wg.Wait()
}
