//go:build purego || !amd64

package peak

// There is no peak loop for this build.
var loops []Loop
