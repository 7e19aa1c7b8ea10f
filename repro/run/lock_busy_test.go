//go:build unix

package run

import (
	"errors"
	"testing"
)

// TestBusy: a directory is busy exactly while a run holds its lock, and a
// second lockDir meanwhile is ErrBusy.
func TestBusy(t *testing.T) {
	dir := t.TempDir()
	if busy, err := Busy(dir); busy || err != nil {
		t.Fatalf("Busy(no lock file) = %v, %v; want false, nil", busy, err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if busy, err := Busy(dir); !busy || err != nil {
		t.Errorf("Busy(locked) = %v, %v; want true, nil", busy, err)
	}
	if _, err := lockDir(dir); !errors.Is(err, ErrBusy) {
		t.Errorf("second lockDir = %v, want ErrBusy", err)
	}
	unlock()
	if busy, err := Busy(dir); busy || err != nil {
		t.Errorf("Busy(unlocked) = %v, %v; want false, nil", busy, err)
	}
	unlock, err = lockDir(dir)
	if err != nil {
		t.Fatalf("lockDir after unlock: %v", err)
	}
	unlock()
}
