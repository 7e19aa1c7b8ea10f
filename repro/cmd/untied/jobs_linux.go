package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel send cmd SIGINT when this process dies,
// kill -9 included, so a sweep's jobs never outlive it to race a rerun:
// each checkpoints and exits. (Linux ties this to the thread that started
// cmd; Go's threads outlive the goroutines that use them unless locked.)
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGINT}
}
