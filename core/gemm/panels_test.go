package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// storedPanels is a stored k×n matrix B (stride ldb) packed through the
// exported helpers: by rows with PanelRow, or, with byColumns, four
// columns at a time with PanelColumns and the rest with PanelColumn.
type storedPanels struct {
	b         []float32
	ldb       int
	byColumns bool
}

func (s *storedPanels) Pack(dst, tmp []float32, nr, p0, kb, j0, nb int) {
	if len(tmp) < 4*max(kb, nb) {
		panic(fmt.Sprintf("tmp has %d floats, want %d", len(tmp), 4*max(kb, nb)))
	}
	for i := range dst { // Pack must write every element
		dst[i] = float32(math.NaN())
	}
	if !s.byColumns {
		for p := 0; p < kb; p++ {
			row := s.b[(p0+p)*s.ldb+j0 : (p0+p)*s.ldb+j0+nb]
			PanelRow(dst, row, p, kb, nr)
		}
		return
	}
	panels := (nb + nr - 1) / nr
	clear(dst[(panels-1)*nr*kb:]) // the last panel's padding
	column := func(j int, out []float32) {
		for p := range out {
			out[p] = s.b[(p0+p)*s.ldb+j0+j]
		}
	}
	j := 0
	for ; j+4 <= nb; j += 4 {
		for t := 0; t < 4; t++ {
			column(j+t, tmp[t*kb:(t+1)*kb])
		}
		PanelColumns(dst, tmp, j, kb, nr)
	}
	for ; j < nb; j++ {
		column(j, tmp[:kb])
		PanelColumn(dst, tmp[:kb], j, kb, nr)
	}
}

// TestSgemmPanelsMatchesSgemm: with B packing itself, every element of C
// is computed by the same kernel calls on the same packed values as Sgemm
// on the stored B, so the two agree bit for bit.
func TestSgemmPanelsMatchesSgemm(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	forEachImpl(t, func(t *testing.T, im *impl) {
		r := rand.New(rand.NewPCG(7, 8))
		shapes := [][3]int{{1, 1, 1}, {im.mr + 1, im.nr - 1, 3}, {2*im.mr + 3, 3*im.nr + 5, im.kc + 7},
			{5, im.nc + im.nr + 3, 11}, {300, 200, 50}, {16, 2*im.nc + 5, 9}}
		for _, sh := range shapes {
			m, n, k := sh[0], sh[1], sh[2]
			for _, tA := range []bool{false, true} {
				for _, byColumns := range []bool{false, true} {
					a, lda, b, ldb, c, ldc := operands(r, tA, false, m, n, k)
					want := append([]float32(nil), c...)
					sgemm(im, tA, false, m, n, k, 1.5, a, lda, b, ldb, 0.5, want, ldc)
					sgemmPanels(im, tA, m, n, k, 1.5, a, lda, &storedPanels{b, ldb, byColumns}, 0.5, c, ldc)
					what := fmt.Sprintf("%dx%dx%d tA=%v byColumns=%v", m, n, k, tA, byColumns)
					checkGuard(t, what, c, m, n, ldc)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							if got, w := c[i*ldc+j], want[i*ldc+j]; got != w {
								t.Fatalf("%s: C[%d,%d] = %v, Sgemm gives %v", what, i, j, got, w)
							}
						}
					}
				}
			}
		}
	})
}
