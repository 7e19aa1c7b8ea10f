//go:build purego || !(amd64 || arm64)

package gemm

// archImpls has no assembly kernels to offer here: Sgemm runs generic.
func archImpls() []*impl { return nil }
