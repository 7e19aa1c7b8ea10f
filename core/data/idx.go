package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// IDX is the content of an IDX file of unsigned bytes, the format of MNIST
// and Fashion-MNIST. Dims are its dimensions, outermost first; Data holds
// the values in row-major order, so len(Data) is the product of Dims.
type IDX struct {
	Dims []int
	Data []uint8
}

// The magic numbers of the two IDX files a data set is made of: 0x08 is the
// element type (unsigned byte), the last byte the number of dimensions.
const (
	MagicLabels = 0x00000801 // N labels
	MagicImages = 0x00000803 // N×H×W images
)

// MaxIDXBytes bounds the payload an IDX header may announce (1 GiB, twenty
// times MNIST's training images). Beyond it ParseIDX gives an error rather
// than trusting the header.
const MaxIDXBytes = 1 << 30

// idxTypeUint8 is the IDX element type code of unsigned bytes, the only one
// these data sets use.
const idxTypeUint8 = 0x08

// ReadIDX reads the IDX file at path, raw or gzip-compressed.
func ReadIDX(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	return ParseIDX(f, path)
}

// ParseIDX reads an IDX file from r; name is used in errors only. Input
// starting with the gzip magic bytes 1f 8b is decompressed first (an IDX file
// itself starts with two zero bytes). The payload is read incrementally, so a
// header announcing more than the input holds costs no large allocation.
// Bytes after the announced payload are an error.
func ParseIDX(r io.Reader, name string) (*IDX, error) {
	if name == "" {
		name = "IDX input"
	}
	p := &idxParser{name: name}
	br := bufio.NewReaderSize(r, 64<<10)
	var src io.Reader = br
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, p.errorf("bad gzip header: %v", err)
		}
		defer zr.Close()
		src = zr
		p.gzip = true
	}
	return p.parse(src)
}

type idxParser struct {
	name string
	gzip bool
}

func (p *idxParser) errorf(format string, args ...any) error {
	return fmt.Errorf("data: %s: %s", p.name, fmt.Sprintf(format, args...))
}

// what names the file's content for errors: "file" or "decompressed file".
func (p *idxParser) what() string {
	if p.gzip {
		return "decompressed file"
	}
	return "file"
}

// readErr turns a read error other than a clean end of input into a
// description of what broke.
func (p *idxParser) readErr(err error, n int) error {
	if p.gzip {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return p.errorf("gzip stream is truncated after %d decompressed bytes", n)
		}
		return p.errorf("corrupt gzip data after %d decompressed bytes: %v", n, err)
	}
	return p.errorf("read error after %d bytes: %v", n, err)
}

// readFull reads len(buf) bytes; it returns how many it got, and an error
// only for failures other than the input's end.
func (p *idxParser) readFull(r io.Reader, buf []byte, before int) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, p.readErr(err, before+n)
		}
	}
	return n, nil
}

func (p *idxParser) parse(r io.Reader) (*IDX, error) {
	var magic [4]byte
	n, err := p.readFull(r, magic[:], 0)
	if err != nil {
		return nil, err
	}
	if n < 4 {
		return nil, p.errorf("truncated header: %s has %d bytes, an IDX header needs at least 4", p.what(), n)
	}
	m := binary.BigEndian.Uint32(magic[:])
	if magic[0] != 0 || magic[1] != 0 {
		return nil, p.errorf("not an IDX file: magic 0x%08x, want 0x%08x (labels) or 0x%08x (images)", m, MagicLabels, MagicImages)
	}
	if magic[2] != idxTypeUint8 {
		return nil, p.errorf("IDX element type 0x%02x (magic 0x%08x) is not supported, only 0x08 (unsigned byte)", magic[2], m)
	}
	ndims := int(magic[3])
	if ndims == 0 {
		return nil, p.errorf("IDX magic 0x%08x announces 0 dimensions", m)
	}
	hdrLen := 4 + 4*ndims
	raw := make([]byte, 4*ndims)
	n, err = p.readFull(r, raw, 4)
	if err != nil {
		return nil, err
	}
	if n < len(raw) {
		return nil, p.errorf("truncated header: magic 0x%08x announces %d dimensions (a %d-byte header), %s has %d bytes",
			m, ndims, hdrLen, p.what(), 4+n)
	}
	dims := make([]int, ndims)
	zero := false
	for i := range dims {
		d := binary.BigEndian.Uint32(raw[4*i:])
		dims[i] = int(d)
		zero = zero || d == 0
	}
	total := uint64(1)
	if zero {
		total = 0
	}
	for _, d := range dims {
		if zero {
			break
		}
		total *= uint64(d) // total ≤ MaxIDXBytes < 2³² before, so no overflow
		if total > MaxIDXBytes {
			return nil, p.errorf("header says %s, more than the %d-byte limit", describeDims(dims), MaxIDXBytes)
		}
	}
	data, err := p.readBody(r, int(total), hdrLen)
	if err != nil {
		return nil, err
	}
	if len(data) < int(total) {
		return nil, p.errorf("header says %s (%d bytes), %s has %d bytes after the %d-byte header",
			describeDims(dims), total, p.what(), len(data), hdrLen)
	}
	extra, err := io.Copy(io.Discard, r)
	if err != nil {
		return nil, p.readErr(err, hdrLen+len(data)+int(extra))
	}
	if extra > 0 {
		return nil, p.errorf("header says %s (%d bytes), %s has %d bytes after the %d-byte header (%d extra)",
			describeDims(dims), total, p.what(), int64(len(data))+extra, hdrLen, extra)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// readBody reads up to total bytes, growing its buffer as data arrives so
// that a lying header costs at most about twice the bytes actually present.
func (p *idxParser) readBody(r io.Reader, total, before int) ([]byte, error) {
	buf := make([]byte, min(total, 1<<20))
	n := 0
	for n < total {
		if n == len(buf) {
			nb := make([]byte, min(total, 2*len(buf)))
			copy(nb, buf)
			buf = nb
		}
		m, err := p.readFull(r, buf[n:], before+n)
		n += m
		if err != nil {
			return nil, err
		}
		if n < len(buf) {
			break // the input ended early
		}
	}
	return buf[:n], nil
}

// describeDims names an IDX payload: "60000×28×28 images", "10000 labels",
// or "2×3×4×5 values".
func describeDims(dims []int) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = strconv.Itoa(d)
	}
	x := strings.Join(s, "×")
	switch len(dims) {
	case 1:
		return x + " labels"
	case 3:
		return x + " images"
	}
	return x + " values"
}

// WriteIDX writes x to w as a raw IDX file of unsigned bytes. Wrap w in a
// gzip.Writer for the compressed form.
func WriteIDX(w io.Writer, x *IDX) error {
	if len(x.Dims) == 0 || len(x.Dims) > 255 {
		return fmt.Errorf("data: WriteIDX: %d dimensions, want 1 to 255", len(x.Dims))
	}
	hdr := make([]byte, 4+4*len(x.Dims))
	hdr[2] = idxTypeUint8
	hdr[3] = byte(len(x.Dims))
	total := uint64(1)
	for i, d := range x.Dims {
		if d < 0 || uint64(d) > math.MaxUint32 {
			return fmt.Errorf("data: WriteIDX: dimension %d is %d, want 0 to 2³²−1", i, d)
		}
		binary.BigEndian.PutUint32(hdr[4+4*i:], uint32(d))
		total = min(total*uint64(d), math.MaxUint32+1) // saturate: no overflow
	}
	if total != uint64(len(x.Data)) {
		return fmt.Errorf("data: WriteIDX: dimensions %v need %d bytes, have %d", x.Dims, total, len(x.Data))
	}
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("data: WriteIDX: %w", err)
	}
	if _, err := w.Write(x.Data); err != nil {
		return fmt.Errorf("data: WriteIDX: %w", err)
	}
	return nil
}
