package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxPool3s2 checks every implementation against the definition (the
// first maximum in row-major order by float compares) on planes full of
// ties and signed zeros, runs of 1 to 50 windows (past a step of sixteen
// and its tail), windows ending at the plane's last value; a sentinel
// after the last window's outputs must survive.
func TestMaxPool3s2(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	const sentinel = 4242
	for _, im := range impls {
		withImpl(im, func() {
			for n := 1; n <= 50; n++ {
				w := 2*n + 1 + r.IntN(4)
				h := 3 + r.IntN(3)
				at := r.IntN(w - 2*n) // the windows' first top-left
				at += r.IntN(h-2) * w
				src := make([]float32, 0, h*w)
				for range h * w {
					v := float32(r.IntN(3) - 1)
					if r.IntN(5) == 0 {
						v = float32(math.Copysign(0, -1))
					}
					src = append(src, v)
				}
				src = src[:at+2*(n-1)+2*w+3] // the last window ends the slice
				dst, arg := make([]float32, n+1), make([]int32, n+1)
				dst[n], arg[n] = sentinel, sentinel
				MaxPool3s2(dst[:n], arg[:n], src, w, at, n)
				name := fmt.Sprintf("%s n=%d w=%d at=%d", im.name, n, w, at)
				for j := range n {
					best, bi := float32(math.Inf(-1)), -1
					for rr := range 3 {
						for c := range 3 {
							k := at + 2*j + rr*w + c
							if bi < 0 || src[k] > best {
								best, bi = src[k], k
							}
						}
					}
					if math.Float32bits(dst[j]) != math.Float32bits(best) || int(arg[j]) != bi {
						t.Fatalf("%s: window %d: %v at %d, want %v at %d", name, j, dst[j], arg[j], best, bi)
					}
				}
				if dst[n] != sentinel || arg[n] != sentinel {
					t.Fatalf("%s: wrote past the last window", name)
				}
			}
		})
	}
}

// TestMaxPool3s2ChecksBounds: windows past src, or outputs too short,
// panic with a message before any loop runs.
func TestMaxPool3s2ChecksBounds(t *testing.T) {
	src := make([]float32, 3*10)
	for name, f := range map[string]func(){
		"src short": func() { MaxPool3s2(make([]float32, 4), make([]int32, 4), src, 10, 2, 4) },
		"dst short": func() { MaxPool3s2(make([]float32, 2), make([]int32, 4), src, 10, 0, 4) },
		"narrow":    func() { MaxPool3s2(make([]float32, 4), make([]int32, 4), src, 2, 0, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
