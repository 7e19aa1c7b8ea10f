//go:build purego || !(amd64 || arm64)

package gemm

// archImpls has no assembly kernels to offer here: Sgemm runs generic.
func archImpls() []*impl { return nil }

// pack8Blocks and pack4Blocks have no kernel here: pack8 and pack4 do
// every column.
func pack8Blocks(d, a []float32, lda, kb int, alpha float32) int { return 0 }
func pack4Blocks(d, a []float32, lda, kb int, alpha float32) int { return 0 }
