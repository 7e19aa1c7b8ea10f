package gemm

// An impl is one way to run Sgemm: a micro-kernel with its register tile
// (mr×nr) and the cache blocking around it (mc×kc blocks of A, kc×nc panels
// of B). Blocking is fixed per impl, never derived from the thread count, so
// every element of C sums its products in the same order on every call.
type impl struct {
	name   string
	mr, nr int
	mc, kc int // mc is a multiple of mr
	nc     int // a multiple of 2·nr
	// kernel computes one mr×nr tile of C from packed panels of A and B:
	// see kernelGeneric for its meaning as a Go loop.
	kernel func(k int, a, b, c []float32, ldc int, beta float32)
	// rowsKernel, if not nil, is kernel with B's panel read in place from
	// SgemmRows's rows (see kernelRowsGeneric); without it SgemmRows packs
	// the panel and calls kernel.
	rowsKernel func(k int, a, b []float32, off []int, c []float32, ldc int, beta float32)
	// rowsAKernel, if not nil, is rowsKernel with A's tile read in place
	// too, its rows lda apart: rowsKernel on the panel packA would pack
	// from them with alpha 1. Where alpha is 1 and A is not transposed,
	// block then packs A only for edge tiles: the same bits.
	rowsAKernel func(k int, a []float32, lda int, b []float32, off []int, c []float32, ldc int, beta float32)
	// dotKernel, if not nil, runs SgemmRows with tB as dot products
	// (dot.go) on tiles of dotMR rows of A by dotNR rows of R (each at most
	// maxDotRows); without it that call packs Rᵀ like any other B.
	dotKernel    func(k int, a []float32, aoff []int, b []float32, boff []int, acc []float32)
	dotMR, dotNR int
}

// maxTile bounds mr·nr over all impls; edge tiles use a local array this big.
// maxDotRows bounds dotMR and dotNR.
const (
	maxTile    = 256
	maxDotRows = 8
)

// generic is the pure-Go impl, compiled everywhere.
var generic = &impl{
	name: "generic",
	mr:   4, nr: 4,
	mc: 64, kc: 256, nc: 1024,
	kernel: kernel4x4,
}

// impls lists the implementations this CPU can run, generic first and the
// preferred one last; best is the one Sgemm uses.
var (
	impls = append([]*impl{generic}, archImpls()...)
	best  = impls[len(impls)-1]
)

// Impls names the implementations this CPU can run; Sgemm uses the last.
// It exists for benchmarks and cross-checks, with SgemmImpl.
func Impls() []string {
	names := make([]string, len(impls))
	for i, im := range impls {
		names[i] = im.name
	}
	return names
}

// SgemmImpl is Sgemm on the implementation called name (one of Impls). It
// panics on an unknown name.
func SgemmImpl(name string, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for _, im := range impls {
		if im.name == name {
			sgemm(im, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			return
		}
	}
	panic("gemm: no implementation " + name + " on this CPU")
}
