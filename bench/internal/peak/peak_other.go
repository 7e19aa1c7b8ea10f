//go:build purego || !amd64

package peak

// Available is false: there is no peak loop for this build.
const Available = false

// FMA is not available here; it panics.
func FMA(n int) { panic("peak: no FMA loop in this build") }
