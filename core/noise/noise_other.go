//go:build purego || !amd64

package noise

// Without assembly (arm64 included) Filler draws normals by the ziggurat.
var haveFast = false

// normalFast writes none of normalInv's values (its Go loop writes them
// all, for the tests).
func normalFast(d []float32, kb uint64, scale float32) int { return 0 }
