//go:build purego || !amd64

package vec

// impls names the block loops this build can run: only the generic ones.
func impls() []string { return []string{"generic"} }

// withImpl runs f; there is nothing to select.
func withImpl(name string, f func()) { f() }
