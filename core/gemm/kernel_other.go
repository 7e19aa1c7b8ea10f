//go:build purego || !(amd64 || arm64)

package gemm

// archImpls has no assembly kernels to offer here: Sgemm runs generic.
func archImpls() []*impl { return nil }

// packBlocks has no kernel here: pack8 and pack4 do every column.
func packBlocks(rows int, d, a []float32, lda, kb int, alpha float32) int { return 0 }
