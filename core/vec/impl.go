package vec

// An impl is one set of the block loops behind vec's functions, the same
// idiom as core/gemm's: generic, compiled everywhere, is the definition;
// archImpls adds what this CPU can run (avx2 and avx512 on amd64, chosen at
// start-up through golang.org/x/sys/cpu, so GODEBUG=cpu.avx512f=off or
// cpu.avx2=off turns them off), the preferred one last, and best is the one
// every function uses. Every impl gives bit-identical results (TestImpls,
// and every test of the package runs on each through forEachImpl).
type impl struct {
	name        string
	shiftedSums func(x []float32, k float64) (s, ss float64)
	dotHat      func(dy, x []float32, mu, is float32) (sdy, sdyx float64)
	normalize   func(dst, x []float32, mu, is, g, b float32)
	normGrad    func(dst, dy, x []float32, mu, is, scale, mdy, mdyx float32)
	// The same on consecutive planes of hw values, parameters per plane.
	normalizePlanes func(dst, x []float32, hw int, mu, is, g, b []float32)
	normGradPlanes  func(dst, dy, x []float32, hw int, mu, is, scale, mdy, mdyx []float32)
	// normalizePlanes, then addRelu with s.
	normalizeAddReluPlanes func(dst, x, s []float32, hw int, mu, is, g, b []float32)
	relu                   func(dst, x []float32)
	reluGrad               func(dst, dy, y []float32)
	add                    func(dst, a, b []float32)
	addRelu                func(dst, a, b []float32)
	sumSq                  func(x []float32) float64
	scaleSumSq             func(dst, x []float32, a float32) float64
	dots                   func(u, v []float32) (uu, uv, vv float64)
	axpbyDots              func(dst, u, v []float32, a, b float32) (uu, uv, vv float64)
	padRows                func(dst []float32, ds int, src []float32, ss, rows, lead, width int)
	gather16               func(dst []float32, p int, src []float32, stride, n int, idx *[16]int32, hw int)
	deal2                  func(even, odd []float32, ds int, src []float32, ss, rows, width int)
	addStride2             func(dst []float32, ds int, src []float32, ss, rows, n int)
	maxPool3s2             func(dst []float32, arg []int32, src []float32, w, at, n int)
}

// generic is the pure-Go impl, compiled everywhere.
var generic = &impl{
	name:        "generic",
	shiftedSums: shiftedSumsGeneric,
	dotHat:      dotHatGeneric,
	normalize:   normalizeGeneric,
	normGrad:    normGradGeneric,

	normalizePlanes: normalizePlanesGeneric,
	normGradPlanes:  normGradPlanesGeneric,

	normalizeAddReluPlanes: normalizeAddReluPlanesGeneric,
	relu:                   reluGeneric,
	reluGrad:               reluGradGeneric,
	add:                    addGeneric,
	addRelu:                addReluGeneric,
	sumSq:                  sumSqGeneric,
	scaleSumSq:             scaleSumSqGeneric,
	dots:                   dotsGeneric,
	axpbyDots:              axpbyDotsGeneric,
	padRows:                padRowsGeneric,
	gather16:               gather16Generic,
	deal2:                  deal2Generic,
	addStride2:             addStride2Generic,
	maxPool3s2:             maxPool3s2Generic,
}

// impls lists the implementations this CPU can run, generic first and the
// preferred one last; best is the one the package uses.
var (
	impls = append([]*impl{generic}, archImpls()...)
	best  = impls[len(impls)-1]
)
