package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// encodeIDX returns x as a raw IDX file, or gzipped.
func encodeIDX(t testing.TB, x *IDX, gz bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	if !gz {
		if err := WriteIDX(&buf, x); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	zw := gzip.NewWriter(&buf)
	if err := WriteIDX(zw, x); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func randomIDX(rng *rand.Rand, dims ...int) *IDX {
	n := 1
	for _, d := range dims {
		n *= d
	}
	x := &IDX{Dims: dims, Data: make([]uint8, n)}
	for i := range x.Data {
		x.Data[i] = uint8(rng.UintN(256))
	}
	return x
}

func TestIDXRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, dims := range [][]int{{0}, {1}, {7}, {3, 5, 4}, {2, 1, 3, 2}, {5, 0, 3}, {300, 28, 28}} {
		for _, gz := range []bool{false, true} {
			want := randomIDX(rng, dims...)
			enc := encodeIDX(t, want, gz)
			got, err := ParseIDX(bytes.NewReader(enc), "x")
			if err != nil {
				t.Errorf("ParseIDX(dims %v, gzip %v): %v", dims, gz, err)
				continue
			}
			if !slices.Equal(got.Dims, want.Dims) || !bytes.Equal(got.Data, want.Data) {
				t.Errorf("ParseIDX(dims %v, gzip %v) = dims %v and %d bytes, want dims %v and %d bytes",
					dims, gz, got.Dims, len(got.Data), want.Dims, len(want.Data))
			}
		}
	}
}

func TestIDXHeaderBytes(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteIDX(&buf, &IDX{Dims: []int{2, 1, 1}, Data: []uint8{7, 9}}); err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 7, 9}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("WriteIDX = % x, want % x", buf.Bytes(), want)
	}
	if got := binary.BigEndian.Uint32(want); got != MagicImages {
		t.Errorf("magic = %#x, want MagicImages %#x", got, MagicImages)
	}
}

func TestReadIDXFile(t *testing.T) {
	dir := t.TempDir()
	want := randomIDX(rand.New(rand.NewPCG(3, 4)), 4, 3, 2)
	// Gzip is told by its magic, not by the name: swap the extensions.
	for name, gz := range map[string]bool{"raw.gz": false, "zipped": true} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, encodeIDX(t, want, gz), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadIDX(p)
		if err != nil {
			t.Errorf("ReadIDX(%s): %v", name, err)
			continue
		}
		if !slices.Equal(got.Dims, want.Dims) || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("ReadIDX(%s) = %v, want %v", name, got, want)
		}
	}
	_, err := ReadIDX(filepath.Join(dir, "missing"))
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("ReadIDX(missing) error = %v, want a not-exist error naming the file", err)
	}
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestParseIDXErrors(t *testing.T) {
	imgs := encodeIDX(t, randomIDX(rand.New(rand.NewPCG(5, 6)), 3, 4, 4), false) // 16-byte header + 48 bytes
	gz := encodeIDX(t, randomIDX(rand.New(rand.NewPCG(5, 6)), 3, 4, 4), true)
	badCRC := slices.Clone(gz)
	badCRC[len(badCRC)-8] ^= 0xff // CRC-32 in the trailer
	lying := []byte{0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3}
	huge := []byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	for _, tc := range []struct {
		name string
		in   []byte
		want []string
	}{
		{"empty", nil, []string{"truncated header", "0 bytes"}},
		{"short magic", []byte{0, 0, 8}, []string{"truncated header", "3 bytes"}},
		{"short dims", imgs[:10], []string{"truncated header", "3 dimensions", "16-byte header", "10 bytes"}},
		{"short body", imgs[:20], []string{"header says 3×4×4 images (48 bytes)", "file has 4 bytes after the 16-byte header"}},
		{"lying header", lying, []string{"header says 60000×28×28 images (47040000 bytes)", "file has 3 bytes"}},
		{"huge header", huge, []string{"4294967295×4294967295×4294967295 images", "limit"}},
		{"extra bytes", append(slices.Clone(imgs), 1, 2), []string{"50 bytes after the 16-byte header (2 extra)"}},
		{"wrong magic", append([]byte{0, 1}, imgs[2:]...), []string{"not an IDX file", "magic 0x00010803"}},
		{"text", []byte("hello, world"), []string{"not an IDX file", "magic 0x68656c6c"}},
		{"wrong type", append([]byte{0, 0, 0x0d}, imgs[3:]...), []string{"element type 0x0d", "not supported"}},
		{"no dims", []byte{0, 0, 8, 0}, []string{"0 dimensions"}},
		{"bad gzip header", []byte{0x1f, 0x8b, 1, 2, 3}, []string{"bad gzip header"}},
		{"truncated gzip", gz[:len(gz)-12], []string{"gzip stream is truncated"}},
		{"gzip crc", badCRC, []string{"corrupt gzip data", "checksum"}},
		{"gzip short body", gzipBytes(t, imgs[:30]), []string{"decompressed file has 14 bytes after the 16-byte header"}},
	} {
		_, err := ParseIDX(bytes.NewReader(tc.in), "/x/train-images-idx3-ubyte.gz")
		if err == nil {
			t.Errorf("ParseIDX(%s) error = nil, want one containing %q", tc.name, tc.want)
			continue
		}
		for _, w := range append(tc.want, "data: /x/train-images-idx3-ubyte.gz: ") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ParseIDX(%s) error = %q, want it to contain %q", tc.name, err, w)
			}
		}
	}
}

func TestWriteIDXErrors(t *testing.T) {
	for _, x := range []*IDX{
		{Dims: nil, Data: nil},
		{Dims: []int{2, 2}, Data: []uint8{1, 2, 3}},
		{Dims: []int{-1}, Data: nil},
		{Dims: []int{1 << 33}, Data: nil},
		{Dims: make([]int, 256), Data: nil},
	} {
		if err := WriteIDX(&bytes.Buffer{}, x); err == nil {
			t.Errorf("WriteIDX(dims %v, %d bytes) error = nil, want one", x.Dims, len(x.Data))
		}
	}
}

// FuzzParseIDX checks that no input makes ParseIDX panic or allocate for a
// lying header, and that what it accepts is consistent and round-trips.
func FuzzParseIDX(f *testing.F) {
	rng := rand.New(rand.NewPCG(7, 8))
	f.Add(encodeIDX(f, randomIDX(rng, 2, 3, 3), false))
	f.Add(encodeIDX(f, randomIDX(rng, 5), true))
	f.Add([]byte{0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28})
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := ParseIDX(bytes.NewReader(in), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "data: fuzz: ") {
				t.Errorf("ParseIDX error %q does not name the input", err)
			}
			return
		}
		n := 1
		for _, d := range x.Dims {
			n *= d
		}
		if n != len(x.Data) {
			t.Fatalf("ParseIDX = dims %v with %d bytes", x.Dims, len(x.Data))
		}
		var buf bytes.Buffer
		if err := WriteIDX(&buf, x); err != nil {
			t.Fatalf("WriteIDX of parsed input: %v", err)
		}
		y, err := ParseIDX(&buf, "again")
		if err != nil || !slices.Equal(x.Dims, y.Dims) || !bytes.Equal(x.Data, y.Data) {
			t.Fatalf("round trip = %v, %v; want %v", y, err, x)
		}
	})
}

// TestParseIDXLyingHeaderMemory checks that a header announcing a gigabyte
// over three bytes of payload costs no gigabyte: the body buffer starts at
// 1 MiB and grows only as data arrives.
func TestParseIDXLyingHeaderMemory(t *testing.T) {
	in := []byte{0, 0, 8, 3, 0, 0, 0x40, 0, 0, 0, 0x40, 0, 0, 0, 0x40, 0, 1, 2, 3} // 16384×16384×16384 > limit
	in2 := []byte{0, 0, 8, 2, 0, 0, 0x80, 0, 0, 0, 0x80, 0, 1, 2, 3}               // 32768×32768 = 1 GiB, at the limit
	for _, b := range [][]byte{in, in2} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := ParseIDX(bytes.NewReader(b), "lying")
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("ParseIDX(% x) error = nil, want one", b)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
			t.Errorf("ParseIDX(% x) allocated %d bytes, want under 4 MiB", b, got)
		}
	}
}
