package data

import (
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cifarRecords returns n random records in the CIFAR-10 binary format.
func cifarRecords(rng *rand.Rand, n int) []byte {
	b := make([]byte, n*CIFARRecordSize)
	for i := range n {
		rec := b[i*CIFARRecordSize : (i+1)*CIFARRecordSize]
		rec[0] = byte(rng.IntN(10))
		for k := 1; k < len(rec); k++ {
			rec[k] = byte(rng.UintN(256))
		}
	}
	return b
}

// writeCIFAR writes the six batch files with counts[i] records in file i
// (the five training files, then the test file) and returns their bytes.
func writeCIFAR(t *testing.T, dir string, rng *rand.Rand, counts [6]int) [6][]byte {
	t.Helper()
	var files [6][]byte
	for i, name := range append(CIFAR10TrainFiles[:5:5], CIFAR10TestFile) {
		files[i] = cifarRecords(rng, counts[i])
		if err := os.WriteFile(filepath.Join(dir, name), files[i], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// checkCIFAR compares ds with the records of files, concatenated.
func checkCIFAR(t *testing.T, ds *Dataset, name string, files ...[]byte) {
	t.Helper()
	var recs []byte
	for _, f := range files {
		recs = append(recs, f...)
	}
	n := len(recs) / CIFARRecordSize
	if ds.Name != name || ds.N != n || ds.C != 3 || ds.H != 32 || ds.W != 32 || ds.Classes != 10 {
		t.Fatalf("%s = %s N=%d C=%d H=%d W=%d Classes=%d, want %s N=%d 3×32×32, 10 classes",
			name, ds.Name, ds.N, ds.C, ds.H, ds.W, ds.Classes, name, n)
	}
	if err := ds.Validate(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		rec := recs[i*CIFARRecordSize : (i+1)*CIFARRecordSize]
		if ds.Labels[i] != int32(rec[0]) {
			t.Fatalf("%s label %d = %d, want %d", name, i, ds.Labels[i], rec[0])
		}
		img := ds.Image(i)
		// Channel-major: byte 1+c·1024+y·32+x is channel c, row y, column x,
		// which is also the Dataset's C×H×W order.
		for _, p := range [][3]int{{0, 0, 0}, {0, 0, 31}, {1, 5, 7}, {2, 31, 31}, {2, 31, 0}} {
			c, y, x := p[0], p[1], p[2]
			want := float32(rec[1+c*1024+y*32+x]) / 255
			if got := img[(c*32+y)*32+x]; got != want {
				t.Fatalf("%s image %d pixel (c %d, y %d, x %d) = %v, want %v", name, i, c, y, x, got, want)
			}
		}
	}
}

func TestLoadCIFAR10(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	dir := t.TempDir()
	files := writeCIFAR(t, dir, rng, [6]int{3, 2, 4, 1, 3, 2})
	train, test, err := Load("cifar10", dir)
	if err != nil {
		t.Fatal(err)
	}
	checkCIFAR(t, train, "cifar10/train", files[:5]...)
	checkCIFAR(t, test, "cifar10/test", files[5])

	// The folder the archive was extracted in works too, as does $CIFAR10_DIR.
	parent := t.TempDir()
	sub := filepath.Join(parent, "cifar-10-batches-bin")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	files = writeCIFAR(t, sub, rng, [6]int{1, 1, 1, 1, 2, 3})
	t.Setenv("CIFAR10_DIR", parent)
	train, test, err = LoadCIFAR10("")
	if err != nil {
		t.Fatal(err)
	}
	checkCIFAR(t, train, "cifar10/train", files[:5]...)
	checkCIFAR(t, test, "cifar10/test", files[5])
}

func TestParseCIFAR10(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	b := cifarRecords(rng, 3)
	b[CIFARRecordSize+1+1024+32*2+3] = 255 // image 1, green, row 2, column 3
	b[1] = 0
	ds, err := ParseCIFAR10(b, "one.bin")
	if err != nil {
		t.Fatal(err)
	}
	checkCIFAR(t, ds, "one.bin", b)
	if got := ds.Image(1)[1024+2*32+3]; got != 1 {
		t.Errorf("image 1 green (2, 3) = %v, want 1", got)
	}
	if got := ds.Image(0)[0]; got != 0 {
		t.Errorf("image 0 red (0, 0) = %v, want 0", got)
	}
}

func TestLoadCIFAR10Errors(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	for _, tc := range []struct {
		name   string
		change func(dir string)
		want   []string
	}{
		{"missing files", func(dir string) {
			os.Remove(filepath.Join(dir, "data_batch_3.bin"))
			os.Remove(filepath.Join(dir, "test_batch.bin"))
		}, []string{"has no data_batch_3.bin, test_batch.bin", "CIFAR-10 binary version, cifar-10-batches-bin"}},
		{"partial record", func(dir string) {
			os.WriteFile(filepath.Join(dir, "data_batch_2.bin"), cifarRecords(rng, 2)[:2*CIFARRecordSize-5], 0o644)
		}, []string{"data_batch_2.bin: 6141 bytes is not a multiple of the 3073-byte record", "want 10000 records = 30730000 bytes"}},
		{"python version", func(dir string) {
			os.WriteFile(filepath.Join(dir, "test_batch.bin"), []byte("\x80\x02}q\x00(U\x05batch"), 0o644)
		}, []string{"test_batch.bin: 13 bytes is not a multiple of the 3073-byte record"}},
		{"empty file", func(dir string) {
			os.WriteFile(filepath.Join(dir, "data_batch_5.bin"), nil, 0o644)
		}, []string{"data_batch_5.bin: empty file"}},
		{"label 10", func(dir string) {
			b := cifarRecords(rng, 3)
			b[2*CIFARRecordSize] = 10
			os.WriteFile(filepath.Join(dir, "data_batch_4.bin"), b, 0o644)
		}, []string{"data_batch_4.bin: record 2 (byte offset 6146) has label 10, want 0 to 9"}},
	} {
		dir := t.TempDir()
		writeCIFAR(t, dir, rng, [6]int{2, 2, 2, 2, 2, 2})
		tc.change(dir)
		_, _, err := LoadCIFAR10(dir)
		if err == nil {
			t.Errorf("%s: LoadCIFAR10 error = nil, want one containing %q", tc.name, tc.want)
			continue
		}
		for _, w := range append(tc.want, dir) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: LoadCIFAR10 error = %q, want it to contain %q", tc.name, err, w)
			}
		}
	}

	missing := filepath.Join(t.TempDir(), "nope")
	_, _, err := LoadCIFAR10(missing)
	for _, w := range []string{missing, "does not exist", "cifar-10-batches-bin"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("LoadCIFAR10(missing dir) error = %v, want it to contain %q", err, w)
		}
	}
	t.Setenv("CIFAR10_DIR", "")
	if _, _, err := LoadCIFAR10(""); err == nil || !strings.Contains(err.Error(), "CIFAR10_DIR") {
		t.Errorf(`LoadCIFAR10("") without $CIFAR10_DIR: error = %v, want one naming the variable`, err)
	}
}

// FuzzParseCIFAR10 checks that no batch file makes ParseCIFAR10 panic, and
// that what it accepts is whole records with labels below 10.
func FuzzParseCIFAR10(f *testing.F) {
	rng := rand.New(rand.NewPCG(37, 38))
	f.Add(cifarRecords(rng, 1))
	f.Add(cifarRecords(rng, 2))
	f.Add(cifarRecords(rng, 1)[:100])
	bad := cifarRecords(rng, 1)
	bad[0] = 200
	f.Add(bad)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		ds, err := ParseCIFAR10(b, "fuzz.bin")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "data: fuzz.bin: ") {
				t.Errorf("ParseCIFAR10 error %q does not name the input", err)
			}
			return
		}
		if len(b)%CIFARRecordSize != 0 || ds.N != len(b)/CIFARRecordSize || ds.N == 0 {
			t.Fatalf("ParseCIFAR10 of %d bytes = %d images", len(b), ds.N)
		}
		if err := ds.Validate(); err != nil {
			t.Fatal(err)
		}
		for i := range ds.N {
			if ds.Labels[i] != int32(b[i*CIFARRecordSize]) || ds.Image(i)[0] != float32(b[i*CIFARRecordSize+1])/255 {
				t.Fatalf("record %d decoded as label %d, first pixel %v", i, ds.Labels[i], ds.Image(i)[0])
			}
		}
	})
}

// CIFAR-10 fits in memory: normalise with the training set's statistics and
// batch it with a Loader, padding-and-cropping and flipping as the CIFAR
// ResNets are trained. (Not run: it needs the data.)
func ExampleLoadCIFAR10() {
	train, test, err := LoadCIFAR10("/data/cifar-10-batches-bin")
	if err != nil {
		log.Fatal(err) // says where to get the binary version
	}
	mean, std := train.MeanStd()
	l, err := NewLoader(train, LoaderConfig{Batch: 128, Shuffle: true, Seed: 1, Mean: mean, Std: std, CropPad: 4, Flip: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(train.N, test.N, l.Batches()) // 50000 10000 391
}
