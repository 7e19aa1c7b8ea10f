//go:build purego || !amd64

package noise

// Without assembly (arm64 included) normal draws one value at a time.
var haveFast = false

func normalFast(d []float32, x uint64, w *[zigN]float32) int { return 0 }
