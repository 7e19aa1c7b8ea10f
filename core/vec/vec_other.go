//go:build purego || !amd64

package vec

// Without assembly (arm64 included) the block loops are the generic ones.

func shiftedSumsBlocks(x []float32, k float64) (s, ss float64) { return shiftedSumsGeneric(x, k) }

func dotHatBlocks(dy, x []float32, mu, is float32) (sdy, sdyx float64) {
	return dotHatGeneric(dy, x, mu, is)
}

func normalizeBlocks(dst, x []float32, mu, is, g, b float32) {
	normalizeGeneric(dst, x, mu, is, g, b)
}

func normGradBlocks(dst, dy, x []float32, mu, is, scale, mdy, mdyx float32) {
	normGradGeneric(dst, dy, x, mu, is, scale, mdy, mdyx)
}

func reluBlocks(dst, x []float32) { reluGeneric(dst, x) }

func reluGradBlocks(dst, dy, y []float32) { reluGradGeneric(dst, dy, y) }

func addBlocks(dst, a, b []float32) { addGeneric(dst, a, b) }

func addReluBlocks(dst, a, b []float32) { addReluGeneric(dst, a, b) }

func sumSqBlocks(x []float32) float64 { return sumSqGeneric(x) }

func scaleSumSqBlocks(dst, x []float32, a float32) float64 { return scaleSumSqGeneric(dst, x, a) }

func dotsBlocks(u, v []float32) (uu, uv, vv float64) { return dotsGeneric(u, v) }

func axpbyDotsBlocks(dst, u, v []float32, a, b float32) (uu, uv, vv float64) {
	return axpbyDotsGeneric(dst, u, v, a, b)
}
