//go:build !purego

package vec

// hasAVX2 is whether the assembly may run here (not with GODEBUG=cpu.avx2=off).
var hasAVX2 = useAVX2

// impls names the block loops this build can run: generic, and avx2 where
// the CPU has it.
func impls() []string {
	if hasAVX2 {
		return []string{"generic", "avx2"}
	}
	return []string{"generic"}
}

// withImpl runs f with the named block loops selected.
func withImpl(name string, f func()) {
	defer func(old bool) { useAVX2 = old }(useAVX2)
	useAVX2 = name == "avx2"
	f()
}
