package npz

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// python returns a python3 that imports numpy (the one on PATH, else the
// system's), or skips the test: CI need not have numpy, and nothing
// installs it.
func python(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		py, err := exec.LookPath(name)
		if err == nil && exec.Command(py, "-c", "import numpy").Run() == nil {
			return py
		}
	}
	t.Skip("no python3 with numpy")
	return ""
}

// TestNumPy has numpy read a file Write wrote, check it, and write a
// compressed archive of every dtype Read accepts.
func TestNumPy(t *testing.T) {
	py := python(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "go.npz"), filepath.Join(dir, "np.npz")
	if err := Write(in, sample()); err != nil {
		t.Fatal(err)
	}
	script := `
import sys
import numpy as np
a = np.load(sys.argv[1])
assert a["fc.W"].dtype == np.float32 and a["fc.W"].shape == (2, 3), a["fc.W"]
assert a["fc.W"][1, 0] == np.inf and a["fc.W"][0, 2] == 3.5
assert a["loss"].shape == () and a["loss"] == 2.5
assert a["empty"].shape == (0, 3)
assert a["opt.0.step"] == 12345678901 and a["labels"].tolist() == [0, 9, -1, 3]
assert a["conv1.W"].flags.c_contiguous and a["conv1.W"][0, 1, 1, 0] == 7
np.savez_compressed(sys.argv[2],
    f4=np.arange(6, dtype=np.float32).reshape(2, 3),
    f8=np.array([0.5, -1.25]), i4=np.array([3, -4], dtype=np.int32),
    i8=np.array(7, dtype=np.int64), u1=np.array([[0, 255]], dtype=np.uint8))
`
	if b, err := exec.Command(py, "-c", script, in, out).CombinedOutput(); err != nil {
		t.Fatalf("numpy: %v\n%s", err, b)
	}
	got, err := Read(out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Array{
		"f4": {Shape: []int{2, 3}, Data: []float32{0, 1, 2, 3, 4, 5}},
		"f8": {Shape: []int{2}, Data: []float32{0.5, -1.25}},
		"i4": {Shape: []int{2}, Ints: []int64{3, -4}},
		"i8": {Shape: []int{}, Ints: []int64{7}},
		"u1": {Shape: []int{1, 2}, Ints: []int64{0, 255}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Read of numpy's archive (-want +got):\n%s", d)
	}
}
