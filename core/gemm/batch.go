package gemm

import (
	"fmt"
	"runtime"

	"github.com/untied-ml/untied/core/sched"
)

// SgemmBatch computes count products that share A, as the images of a
// batch under one weight matrix do:
//
//	C_i = alpha·op(A)·op(B_i) + beta·C_i,   B_i = b[i·strideB:], C_i = c[i·strideC:]
//
// for i < count, each element of each C_i bit for bit what Sgemm gives on
// B_i and C_i (the C_i must not overlap). Where the products are small
// (under the work Sgemm would split) or there are enough of them, whole
// products are shared among goroutines, so many small ones, one per image,
// run in parallel without copying the images into one matrix.
func SgemmBatch(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC, count int) {
	SgemmBatchEach(tA, tB, m, n, k, alpha, a, lda, b, ldb, strideB, beta, c, ldc, strideC, count, nil)
}

// BatchDone is told of each product of SgemmBatchEach as it is finished.
type BatchDone interface {
	// Done is called with i on the goroutine that computed C_i, right
	// after it, while C_i is in that goroutine's cache; calls for
	// different products may run at once.
	Done(i int)
}

// SgemmBatchEach is SgemmBatch calling done.Done(i) after product i (done
// may be nil): a caller's pass over each C_i, such as a BatchNorm's
// statistics of a convolution's output image, taken while it is in cache.
func SgemmBatchEach(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC, count int, done BatchDone) {
	switch {
	case count < 0:
		panic(fmt.Sprintf("gemm: batch of %d", count))
	case count == 0:
		return
	case strideB < 0 || strideC < 0:
		panic(fmt.Sprintf("gemm: negative batch stride (B %d, C %d)", strideB, strideC))
	}
	// The last product's slices reach furthest: checking them checks all.
	last := count - 1
	if last*strideB > len(b) || last*strideC > len(c) {
		panic(fmt.Sprintf("gemm: batch of %d at strides %d and %d overruns B's %d or C's %d elements", count, strideB, strideC, len(b), len(c)))
	}
	checkArgs(tA, tB, m, n, k, a, lda, b[last*strideB:], ldb, c[last*strideC:], ldc)
	j := batchFree.Get()
	j.call = call{im: best, tA: tA, tB: tB, m: m, n: n, k: k,
		alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	j.strideB, j.strideC, j.done = strideB, strideC, done
	if !tB && best.rowsKernel != nil {
		// B's rows read where they lie, as SgemmRows reads them (the
		// same bits as Sgemm): no packing.
		j.off = j.off[:0]
		for r := range k {
			j.off = append(j.off, r*ldb)
		}
		j.call.off = j.off
	}
	procs := runtime.GOMAXPROCS(0)
	if m == 0 || n == 0 || alpha == 0 || k == 0 || procs == 1 || count < 2*procs && 2*m*n*k >= minChunkFlops {
		for i := range count {
			one := j.call
			one.b, one.c = b[i*strideB:], c[i*strideC:]
			start(&one)
			if done != nil {
				done.Done(i)
			}
		}
	} else {
		sched.Parallel(count, 1, j)
	}
	j.call, j.done = call{}, nil // drop references to the caller's matrices
	batchFree.Put(j)
}

// batchJob is an SgemmBatch shared by goroutines, whole products to each.
type batchJob struct {
	call             call // the first product's; b and c move by the strides
	strideB, strideC int
	off              []int // B's row offsets, when the kernel reads them in place
	done             BatchDone
}

// Range computes products [i0, i1) on the calling goroutine, with packing
// buffers of its own.
func (j *batchJob) Range(i0, i1 int) {
	bf := bufFree.Get()
	for i := i0; i < i1; i++ {
		cl := j.call
		cl.b, cl.c = cl.b[i*j.strideB:], cl.c[i*j.strideC:]
		cl.block(bf, 0, cl.m, 0, cl.n)
		if j.done != nil {
			j.done.Done(i)
		}
	}
	bufFree.Put(bf)
}

var batchFree sched.FreeList[batchJob]
