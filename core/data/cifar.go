package data

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// The CIFAR-10 binary format: each record is one label byte followed by
// 3×32×32 pixel bytes, the red plane, then green, then blue, each row-major.
const (
	CIFARSide       = 32
	CIFARRecordSize = 1 + 3*CIFARSide*CIFARSide // 3073 bytes
	cifar10Classes  = 10
	cifarPerFile    = 10000 // records per file in the official release
)

// CIFAR10Names are the CIFAR-10 class names by label (batches.meta.txt).
var CIFAR10Names = [cifar10Classes]string{
	"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
}

// CIFAR10TrainFiles and CIFAR10TestFile are the batch files of the binary
// version, in the order their records are concatenated.
var (
	CIFAR10TrainFiles = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	CIFAR10TestFile   = "test_batch.bin"
)

const cifar10Hint = "download the CIFAR-10 binary version, cifar-10-batches-bin " +
	"(cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, not the Python or MATLAB version), " +
	"and extract it there"

// LoadCIFAR10 loads CIFAR-10 (50000 training and 10000 test images of
// 3×32×32 pixels, 10 classes) from the binary version's batch files:
// data_batch_1.bin … data_batch_5.bin and test_batch.bin. dir may be the
// cifar-10-batches-bin folder itself or the folder the archive was extracted
// in. An empty dir means $CIFAR10_DIR.
//
// Files with fewer records than the official 10000 are accepted (the tests
// use a few records per file); a size that is not a whole number of 3073-byte
// records, an empty file and a label above 9 are errors naming the file.
func LoadCIFAR10(dir string) (train, test *Dataset, err error) {
	if dir == "" {
		dir = os.Getenv("CIFAR10_DIR")
	}
	if dir == "" {
		return nil, nil, fmt.Errorf("data: cifar10: no directory given and $CIFAR10_DIR is not set; %s", cifar10Hint)
	}
	if !isDir(dir) {
		return nil, nil, fmt.Errorf("data: cifar10: directory %s does not exist; %s", dir, cifar10Hint)
	}
	if sub := filepath.Join(dir, "cifar-10-batches-bin"); isDir(sub) && !isFile(filepath.Join(dir, CIFAR10TestFile)) {
		dir = sub
	}
	var missing []string
	for _, f := range append(CIFAR10TrainFiles[:len(CIFAR10TrainFiles):len(CIFAR10TrainFiles)], CIFAR10TestFile) {
		if !isFile(filepath.Join(dir, f)) {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("data: cifar10: %s has no %s; %s", dir, strings.Join(missing, ", "), cifar10Hint)
	}
	paths := make([]string, len(CIFAR10TrainFiles))
	for i, f := range CIFAR10TrainFiles {
		paths[i] = filepath.Join(dir, f)
	}
	if train, err = readCIFARFiles("cifar10/train", paths); err != nil {
		return nil, nil, err
	}
	if test, err = readCIFARFiles("cifar10/test", []string{filepath.Join(dir, CIFAR10TestFile)}); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// readCIFARFiles concatenates the records of the batch files into one data
// set, reading the files in parallel into their parts of one allocation.
func readCIFARFiles(name string, paths []string) (*Dataset, error) {
	counts := make([]int, len(paths))
	n := 0
	for i, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		if err := checkCIFARSize(p, st.Size()); err != nil {
			return nil, err
		}
		counts[i] = int(st.Size() / CIFARRecordSize)
		n += counts[i]
	}
	const size = 3 * CIFARSide * CIFARSide
	ds := &Dataset{Name: name, N: n, C: 3, H: CIFARSide, W: CIFARSide, Classes: cifar10Classes,
		Images: make([]float32, n*size), Labels: make([]int32, n)}
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	start := 0
	for i, p := range paths {
		lo, hi := start, start+counts[i]
		wg.Go(func() {
			b, err := readAllSize(p, int64(counts[i])*CIFARRecordSize)
			if err != nil {
				errs[i] = err
				return
			}
			errs[i] = decodeCIFAR(b, p, ds.Images[lo*size:hi*size], ds.Labels[lo:hi])
		})
		start = hi
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return ds, nil
}

// readAllSize reads the file at path, which should hold want bytes (its size
// when it was checked); a file that changed size in between is an error.
func readAllSize(path string, want int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	b := make([]byte, want)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("data: %s: read %d bytes: %w", path, want, err)
	}
	if m, _ := f.Read(make([]byte, 1)); m > 0 {
		return nil, fmt.Errorf("data: %s: file grew while being read, want %d bytes", path, want)
	}
	return b, nil
}

// checkCIFARSize reports a file size that is not a positive whole number of
// records.
func checkCIFARSize(name string, size int64) error {
	if size == 0 {
		return fmt.Errorf("data: %s: empty file, want records of %d bytes (1 label byte + 3×32×32 pixel bytes), %d per file",
			name, CIFARRecordSize, cifarPerFile)
	}
	if size%CIFARRecordSize != 0 {
		return fmt.Errorf("data: %s: %d bytes is not a multiple of the %d-byte record (1 label byte + 3×32×32 pixel bytes); "+
			"want %d records = %d bytes (%d whole records and %d bytes over); is it the binary version?",
			name, size, CIFARRecordSize, cifarPerFile, cifarPerFile*CIFARRecordSize, size/CIFARRecordSize, size%CIFARRecordSize)
	}
	return nil
}

// ParseCIFAR10 decodes the records of one CIFAR-10 binary batch file; name
// is used in errors only. It returns a Dataset of len(b)/3073 images.
func ParseCIFAR10(b []byte, name string) (*Dataset, error) {
	if err := checkCIFARSize(name, int64(len(b))); err != nil {
		return nil, err
	}
	n := len(b) / CIFARRecordSize
	ds := &Dataset{Name: name, N: n, C: 3, H: CIFARSide, W: CIFARSide, Classes: cifar10Classes,
		Images: make([]float32, n*(CIFARRecordSize-1)), Labels: make([]int32, n)}
	if err := decodeCIFAR(b, name, ds.Images, ds.Labels); err != nil {
		return nil, err
	}
	return ds, nil
}

// decodeCIFAR converts whole records into images (pixel/255) and labels.
func decodeCIFAR(b []byte, name string, images []float32, labels []int32) error {
	const size = CIFARRecordSize - 1
	for i := range labels {
		rec := b[i*CIFARRecordSize : (i+1)*CIFARRecordSize]
		if rec[0] >= cifar10Classes {
			return fmt.Errorf("data: %s: record %d (byte offset %d) has label %d, want 0 to %d",
				name, i, i*CIFARRecordSize, rec[0], cifar10Classes-1)
		}
		labels[i] = int32(rec[0])
		img := images[i*size : (i+1)*size]
		for k, v := range rec[1:] {
			img[k] = float32(v) / 255
		}
	}
	return nil
}
