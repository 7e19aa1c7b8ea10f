//go:build purego || !amd64

package gemm

// packBlocks has no kernel here: pack8 and pack4 do every column.
func packBlocks(rows int, d, a []float32, lda, kb int, alpha float32) int { return 0 }
