//go:build purego || !amd64

package vec

// Without assembly (arm64 included) only the generic loops run.
func archImpls() []*impl { return nil }
