package align

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestPass checks every form of the fused sweep against plain loops, on
// lengths around the chunk size, with d separate and d = u: the sums
// within rounding, d bit for bit. Its bits must not depend on GOMAXPROCS.
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
				// Go's a·u + b·v on amd64: each product rounded to
				// float32, then the sum (never fused, on any architecture).
				want := a * u[i]
				if form != "u,d" {
					want = float32(a*u[i]) + float32(b*v[i])
				}
				if gotD[1][i] != want || gotD[0][i] != want {
					t.Fatalf("n=%d %s: d[%d] = %v (1 thread %v), want %v", n, form, i, gotD[1][i], gotD[0][i], want)
				}
			}
		}
	}
}

// BenchmarkPass times the forms of the pass the rules run on a
// [128,16,28,28] activation (ResNet-18 at width 16, first stage), with a
// GB/s metric for the bytes moved.
func BenchmarkPass(b *testing.B) {
	n := 128 * 16 * 28 * 28
	rng := rand.New(rand.NewPCG(1, 2))
	u, v, d := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range u {
		u[i], v[i], d[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64()), 1
	}
	var p pass
	for _, f := range []struct {
		name  string
		moved float64
		run   func()
	}{
		{"u", 1, func() { p.run(u, nil, nil, 0, 0) }},
		{"u,d", 2, func() { p.run(u, nil, d, 0.5, 0) }},
		{"u,v,d", 3, func() { p.run(u, v, d, 0.5, 1.5) }},
	} {
		b.Run("form="+f.name, func(b *testing.B) {
			for b.Loop() {
				f.run()
			}
			b.ReportMetric(f.moved*4*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
