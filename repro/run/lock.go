package run

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrBusy says another process is running in the output directory. Its
// error names the holder's PID.
var ErrBusy = errors.New("in use by another run")

// errBusyLock is tryLock's error when another open file holds the lock.
var errBusyLock = errors.New("locked")

// lockName is the file whose advisory lock marks a run directory in use.
const lockName = ".lock"

// lockDir takes the advisory lock of a run directory for the life of a
// run, so that two runs never write one directory: a second run refuses at
// once with ErrBusy, naming the holder's PID. The kernel drops the lock
// when its holder dies (kill -9 included), so a rerun reclaims the
// directory of a dead run. The lock file stays; only its lock matters.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if !errors.Is(err, errBusyLock) {
			return nil, fmt.Errorf("run: lock %s: %w", f.Name(), err)
		}
		b, _ := os.ReadFile(f.Name())
		holder := strings.TrimSpace(string(b))
		if holder == "" {
			holder = "unknown"
		}
		return nil, fmt.Errorf("run: -out %s %w (pid %s): wait for it, or stop it and run again to resume", dir, ErrBusy, holder)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { unlockFile(f); f.Close() }, nil
}

// Busy reports whether another process holds dir's run lock: a run is
// under way there now. A directory without a lock file is not busy.
func Busy(dir string) (bool, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("run: %w", err)
	}
	defer f.Close()
	switch err := tryLock(f); {
	case errors.Is(err, errBusyLock):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("run: lock %s: %w", f.Name(), err)
	}
	unlockFile(f)
	return false, nil
}
