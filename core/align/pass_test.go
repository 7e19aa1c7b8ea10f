package align

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestPass checks every form of the fused sweep against plain loops, on
// lengths around the chunk size, with d separate and d = u, and that its
// bits do not depend on GOMAXPROCS.
func TestPass(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, passChunk - 1, passChunk, passChunk + 1, 3*passChunk + 5} {
		u, v := make([]float32, n), make([]float32, n)
		for i := range u {
			u[i], v[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		var uu, uv, vv float64
		for i := range u {
			uu += float64(u[i]) * float64(u[i])
			uv += float64(u[i]) * float64(v[i])
			vv += float64(v[i]) * float64(v[i])
		}
		const a, b = float32(0.75), float32(-1.5)
		for _, form := range []string{"u", "u,d", "u,v", "u,v,d", "u,v,d=u"} {
			var got [2]sums
			var gotD [2][]float32
			for k, procs := range []int{1, 2} {
				old := runtime.GOMAXPROCS(procs)
				uc := append([]float32(nil), u...)
				var vs, d []float32
				switch form {
				case "u,d":
					d = make([]float32, n)
				case "u,v":
					vs = v
				case "u,v,d":
					vs, d = v, make([]float32, n)
				case "u,v,d=u":
					vs, d = v, uc
				}
				var p pass
				got[k] = p.run(uc, vs, d, a, b)
				gotD[k] = d
				runtime.GOMAXPROCS(old)
			}
			if got[0] != got[1] {
				t.Errorf("n=%d %s: sums differ with GOMAXPROCS 1 and 2: %+v, %+v", n, form, got[0], got[1])
			}
			s := got[1]
			tol := 1e-12 * float64(n+1)
			if math.Abs(s.uu-uu) > tol*uu+1e-12 {
				t.Errorf("n=%d %s: Σu² = %v, want %v", n, form, s.uu, uu)
			}
			if vs := form != "u" && form != "u,d"; vs {
				if math.Abs(s.uv-uv) > tol*math.Sqrt(uu*vv)+1e-12 || math.Abs(s.vv-vv) > tol*vv+1e-12 {
					t.Errorf("n=%d %s: Σuv, Σv² = %v, %v; want %v, %v", n, form, s.uv, s.vv, uv, vv)
				}
			} else if s.uv != 0 || s.vv != 0 {
				t.Errorf("n=%d %s: Σuv, Σv² = %v, %v without v; want 0", n, form, s.uv, s.vv)
			}
			if gotD[1] == nil {
				continue
			}
			for i := range n {
				// float64 reference; the pass may fuse a·u + b·v (arm64).
				want, mag := float64(a)*float64(u[i]), math.Abs(float64(a)*float64(u[i]))
				if form != "u,d" {
					want += float64(b) * float64(v[i])
					mag += math.Abs(float64(b) * float64(v[i]))
				}
				if gotD[1][i] != gotD[0][i] || math.Abs(float64(gotD[1][i])-want) > 0x1p-22*mag {
					t.Fatalf("n=%d %s: d[%d] = %v (1 thread %v), want %v", n, form, i, gotD[1][i], gotD[0][i], want)
				}
			}
		}
	}
}
