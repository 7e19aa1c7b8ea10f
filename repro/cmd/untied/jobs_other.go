//go:build !linux

package main

import "os/exec"

// dieWithParent does nothing where the kernel cannot tie a child to its
// parent's death: a killed sweep's jobs run on, and the run directory's
// lock keeps a rerun from racing them.
func dieWithParent(*exec.Cmd) {}
