//go:build unix

package run

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes f's exclusive flock without waiting; errBusyLock if
// another open file description holds it.
func tryLock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errBusyLock
	}
	return err
}

func unlockFile(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
