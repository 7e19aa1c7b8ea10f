//go:build !unix

package run

import "os"

// tryLock is a no-op where flock does not exist: one writer per directory
// is then the user's to ensure.
func tryLock(*os.File) error { return nil }

func unlockFile(*os.File) {}
