package npz

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sample() map[string]Array {
	return map[string]Array{
		"loss":       {Shape: []int{}, Data: []float32{2.5}},
		"fc.W":       {Shape: []int{2, 3}, Data: []float32{1, -2, 3.5, float32(math.Inf(1)), 0, -0.125}},
		"conv1.W":    {Shape: []int{1, 2, 2, 2}, Data: []float32{1, 2, 3, 4, 5, 6, 7, 8}},
		"empty":      {Shape: []int{0, 3}, Data: []float32{}},
		"opt.0.step": {Shape: []int{}, Ints: []int64{12345678901}},
		"labels":     {Shape: []int{4}, Ints: []int64{0, 9, -1, 3}},
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.npz")
	want := sample()
	if err := Write(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Read(Write(a)) differs (-want +got):\n%s", d)
	}
	// Reproducible bytes, and no temporary file left behind.
	first, _ := os.ReadFile(path)
	if err := Write(path, want); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	if !bytes.Equal(first, second) {
		t.Error("two writes of the same arrays differ")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d files after Write, want 1", len(ents))
	}
}

func TestLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.npz")
	if err := Write(path, sample()); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, _ := f.Open()
		var buf bytes.Buffer
		buf.ReadFrom(rc)
		rc.Close()
		b := buf.Bytes()
		hlen := int(binary.LittleEndian.Uint16(b[8:10]))
		if b[6] != 1 || (10+hlen)%64 != 0 || b[10+hlen-1] != '\n' {
			t.Errorf("%s: version %d.%d, header %d bytes: want 1.0, data at a multiple of 64 after a newline", f.Name, b[6], b[7], hlen)
		}
		h := string(b[10 : 10+hlen])
		if !strings.HasPrefix(h, "{'descr': '<") || !strings.Contains(h, "'fortran_order': False") {
			t.Errorf("%s: header %q", f.Name, h)
		}
	}
	want := []string{"conv1.W.npy", "empty.npy", "fc.W.npy", "labels.npy", "loss.npy", "opt.0.step.npy"}
	if d := cmp.Diff(want, names); d != "" {
		t.Errorf("entries not sorted by name (-want +got):\n%s", d)
	}
}

func TestHeaderShapes(t *testing.T) {
	for _, c := range []struct {
		shape []int
		want  string
	}{
		{[]int{}, "'shape': ()"},
		{[]int{3}, "'shape': (3,)"},
		{[]int{2, 3}, "'shape': (2, 3)"},
	} {
		a := Array{Shape: c.shape, Data: make([]float32, Array{Shape: c.shape}.Len())}
		if h := string(a.header()); !strings.Contains(h, c.want) {
			t.Errorf("header of shape %v = %q, want it to contain %q", c.shape, h, c.want)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.npz")
	for _, c := range []struct {
		name string
		a    Array
		want string
	}{
		{"short", Array{Shape: []int{2, 2}, Data: []float32{1}}, "1 float values for shape [2 2]"},
		{"both", Array{Shape: []int{1}, Data: []float32{1}, Ints: []int64{1}}, "both"},
		{"negative", Array{Shape: []int{-1}}, "negative"},
	} {
		err := Write(path, map[string]Array{c.name: c.a})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("Write(%s) = %v, want an error naming %s and %q", c.name, err, path, c.want)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("failed Writes left %s", path)
	}
}

// npy returns a .npy file with the given dict fields and data.
func npy(descr, fortran, shape string, data []byte) []byte {
	return npyHeader(fmt.Sprintf("{'descr': %s, 'fortran_order': %s, 'shape': %s, }", descr, fortran, shape), data)
}

func npyHeader(dict string, data []byte) []byte {
	h := dict
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := append([]byte(magic), 1, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	b = append(b, h...)
	return append(b, data...)
}

type entry struct {
	name    string
	data    []byte
	deflate bool
}

// writeZip writes entries as a zip file and returns its path.
func writeZip(t *testing.T, entries ...entry) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bad.npz")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		m := zip.Store
		if e.deflate {
			m = zip.Deflate
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: m})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func le32(vs ...float32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

func TestReadDtypes(t *testing.T) {
	var f8, i4, i8 []byte
	for _, v := range []float64{1.5, -2, 1e-3} {
		f8 = binary.LittleEndian.AppendUint64(f8, math.Float64bits(v))
	}
	for _, v := range []int32{7, -3} {
		i4 = binary.LittleEndian.AppendUint32(i4, uint32(v))
	}
	i8 = binary.LittleEndian.AppendUint64(i8, uint64(1<<40))
	for _, deflate := range []bool{false, true} {
		path := writeZip(t,
			entry{"f4.npy", npy("'<f4'", "False", "(2,)", le32(1, -1)), deflate},
			entry{"f8.npy", npy("'<f8'", "False", "(3,)", f8), deflate},
			entry{"i4.npy", npy("'<i4'", "False", "(2, 1)", i4), deflate},
			entry{"i8.npy", npy(`"<i8"`, "False", "()", i8), deflate},
			entry{"u1.npy", npyHeader("{'shape': (3L,), 'fortran_order': False, 'descr': '|u1'}", []byte{0, 9, 255}), deflate},
		)
		got, err := Read(path)
		if err != nil {
			t.Fatalf("deflate %v: %v", deflate, err)
		}
		want := map[string]Array{
			"f4": {Shape: []int{2}, Data: []float32{1, -1}},
			"f8": {Shape: []int{3}, Data: []float32{1.5, -2, float32(1e-3)}},
			"i4": {Shape: []int{2, 1}, Ints: []int64{7, -3}},
			"i8": {Shape: []int{}, Ints: []int64{1 << 40}},
			"u1": {Shape: []int{3}, Ints: []int64{0, 9, 255}},
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("deflate %v: Read (-want +got):\n%s", deflate, d)
		}
	}
}

func TestLabels(t *testing.T) {
	got, err := Array{Shape: []int{3}, Ints: []int64{0, 4, 9}}.Labels()
	if err != nil || !cmp.Equal(got, []int32{0, 4, 9}) {
		t.Errorf("Labels = %v, %v; want [0 4 9]", got, err)
	}
	if _, err := (Array{Shape: []int{1}, Data: []float32{1}}).Labels(); err == nil {
		t.Error("Labels of a float array: no error")
	}
	if _, err := (Array{Shape: []int{1}, Ints: []int64{1 << 40}}).Labels(); err == nil {
		t.Error("Labels of 2^40: no error")
	}
}

func TestReadMalformed(t *testing.T) {
	ok := npy("'<f4'", "False", "(2,)", le32(1, 2))
	cases := []struct {
		name    string
		entries []entry
		want    string
	}{
		{"bad magic", []entry{{"x.npy", append([]byte("\x93NUMPZ\x01\x00"), ok[8:]...), false}}, "bad magic"},
		{"empty entry", []entry{{"x.npy", nil, false}}, "truncated preamble"},
		{"version", []entry{{"x.npy", append([]byte("\x93NUMPY\x09\x00"), ok[8:]...), false}}, "version 9.0"},
		{"header past entry", []entry{{"x.npy", ok[:40], false}}, "runs past"},
		{"not a dict", []entry{{"x.npy", npyHeader("descr <f4", le32(1)), false}}, "want '{'"},
		{"no shape", []entry{{"x.npy", npyHeader("{'descr': '<f4', 'fortran_order': False}", le32(1)), false}}, "no 'shape'"},
		{"unknown key", []entry{{"x.npy", npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}", le32(1)), false}}, "unknown key"},
		{"text after", []entry{{"x.npy", npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': ()} x", le32(1)), false}}, "text after"},
		{"fortran", []entry{{"x.npy", npy("'<f4'", "True", "(2,)", le32(1, 2)), false}}, "fortran_order True"},
		{"big endian", []entry{{"x.npy", npy("'>f4'", "False", "(2,)", le32(1, 2)), false}}, `unsupported dtype ">f4"`},
		{"complex", []entry{{"x.npy", npy("'<c8'", "False", "(1,)", le32(1, 2)), false}}, `unsupported dtype "<c8"`},
		{"structured", []entry{{"x.npy", npy("[('a', '<f4')]", "False", "(1,)", le32(1)), false}}, "structured dtype"},
		{"negative dim", []entry{{"x.npy", npy("'<f4'", "False", "(-1,)", nil), false}}, "want a dimension"},
		{"short data", []entry{{"x.npy", npy("'<f4'", "False", "(3,)", le32(1, 2)), false}}, "needs 12 data bytes, the entry holds 8"},
		{"long data", []entry{{"x.npy", npy("'<f4'", "False", "(1,)", le32(1, 2)), false}}, "needs 4 data bytes, the entry holds 8"},
		{"huge shape", []entry{{"x.npy", npy("'<f4'", "False", "(1000000000000,)", le32(1)), true}}, "needs 4000000000000 data bytes"},
		{"overflowing shape", []entry{{"x.npy", npy("'<f8'", "False", "(4611686018427387904, 4)", nil), false}}, "too large"},
		{"not npy", []entry{{"x.txt", ok, false}}, "not a .npy array"},
		{"duplicate", []entry{{"x.npy", ok, false}, {"x.npy", ok, true}}, "appears twice"},
	}
	for _, c := range cases {
		path := writeZip(t, c.entries...)
		_, err := Read(path)
		if err == nil {
			t.Errorf("%s: Read succeeded", c.name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, path) || !strings.Contains(msg, c.entries[len(c.entries)-1].name) || !strings.Contains(msg, c.want) {
			t.Errorf("%s: Read error %q, want it to name %s, the entry and %q", c.name, msg, path, c.want)
		}
	}
}

func TestReadNotZip(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.npz")
	if err := Write(good, sample()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(good)
	for name, data := range map[string][]byte{
		"text.npz":      []byte("hello, not a zip"),
		"empty.npz":     nil,
		"truncated.npz": b[:len(b)/2],
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, data, 0o644)
		_, err := Read(path)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("Read(%s) = %v, want an error naming the file", name, err)
		}
	}
	if _, err := Read(filepath.Join(dir, "missing.npz")); err == nil {
		t.Error("Read of a missing file: no error")
	}
}

// TestCorruptData flips a byte of a stored entry's data: the zip checksum
// catches it.
func TestCorruptData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.npz")
	if err := Write(path, map[string]Array{"x": {Shape: []int{4}, Data: []float32{1, 2, 3, 4}}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	i := bytes.Index(b, le32(3))
	b[i] ^= 1
	os.WriteFile(path, b, 0o644)
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), "x.npy") {
		t.Errorf("Read of a corrupted entry = %v, want a checksum error naming the entry", err)
	}
}

// TestLyingSize gives a deflated entry whose zip header and npy header both
// claim a terabyte: Read must fail on the missing data without allocating it.
func TestLyingSize(t *testing.T) {
	body := npy("'<f4'", "False", "(250000000000,)", le32(1, 2))
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(body)
	fw.Close()
	zbuf := &bytes.Buffer{}
	zw := zip.NewWriter(zbuf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "x.npy", Method: zip.Deflate,
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: uint64(len(body)-8) + 4*250000000000})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	zw.Close()
	path := filepath.Join(t.TempDir(), "lie.npz")
	os.WriteFile(path, zbuf.Bytes(), 0o644)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = Read(path)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "x.npy") {
		t.Errorf("Read = %v, want an error naming the entry", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("Read allocated %d bytes for a %d-byte file", grew, zbuf.Len())
	}
}

// TestReadNPYUnknownSize reads a truncated .npy without a size to check it
// against: the data read finds it.
func TestReadNPYUnknownSize(t *testing.T) {
	b := npy("'<f4'", "False", "(3,)", le32(1, 2))
	if _, err := readNPY(bytes.NewReader(b), -1); err == nil || !strings.Contains(err.Error(), "truncated data: 8 of the 12 bytes") {
		t.Errorf("readNPY(truncated) = %v", err)
	}
	b = npy("'<f4'", "False", "(3,)", le32(1, 2, 3))
	if a, err := readNPY(bytes.NewReader(b), -1); err != nil || !cmp.Equal(a.Data, []float32{1, 2, 3}) {
		t.Errorf("readNPY = %v, %v", a, err)
	}
}

func FuzzReadNPY(f *testing.F) {
	for _, a := range sample() {
		var buf bytes.Buffer
		writeNPY(&buf, a)
		f.Add(buf.Bytes())
	}
	f.Add(npy("'<f8'", "False", "(2, 1)", make([]byte, 16)))
	f.Add(npy("'|u1'", "False", "(3,)", []byte{1, 2, 3}))
	f.Add(npy("'<f4'", "True", "(1000000000000,)", nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := readNPY(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		n := len(a.Data) + len(a.Ints)
		if n != a.Len() {
			t.Fatalf("shape %v with %d values", a.Shape, n)
		}
		// What it read, it writes back and reads again the same.
		var buf bytes.Buffer
		if a.Data == nil && a.Ints == nil {
			a.Data = []float32{}
		}
		if err := writeNPY(&buf, a); err != nil {
			t.Fatal(err)
		}
		b2, err := readNPY(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if !cmp.Equal(a, b2, cmp.Comparer(func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })) {
			t.Fatalf("re-read %v, want %v", b2, a)
		}
	})
}

// TestReadHugeClaim: a stored .npy whose header claims 4·10⁹ float32 (16 GB)
// over 16 bytes of data is rejected from the claim, before any allocation
// for it (a reader that allocates first dies of an out-of-memory error).
func TestReadHugeClaim(t *testing.T) {
	body := npy("'<f4'", "False", "(4000000000,)", le32(1, 2, 3, 4))
	if _, err := readNPY(bytes.NewReader(body), int64(len(body))); err == nil {
		t.Fatal("readNPY accepted a header claiming 4e9 elements over 16 bytes")
	}
	path := filepath.Join(t.TempDir(), "huge.npz")
	zbuf := &bytes.Buffer{}
	zw := zip.NewWriter(zbuf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "x.npy", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(body)
	zw.Close()
	os.WriteFile(path, zbuf.Bytes(), 0o644)
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), "x.npy") {
		t.Errorf("Read = %v, want an error naming the entry", err)
	}
}
