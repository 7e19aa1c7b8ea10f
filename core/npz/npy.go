package npz

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Array is one n-dimensional array in C (row-major) order. Exactly one of
// Data and Ints holds its values: Data for floating-point arrays, Ints for
// integer ones. An empty Shape is a scalar (one value).
type Array struct {
	Shape []int
	Data  []float32 // '<f4' (and '<f8' read, converted)
	Ints  []int64   // '<i8' (and '<i4', '|u1' read)
}

// Len is the number of values the shape holds: the product of its dimensions.
func (a Array) Len() int {
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	return n
}

// Labels returns an integer array's values as int32, as class labels; a
// float array or a value outside int32 is an error.
func (a Array) Labels() ([]int32, error) {
	if a.Ints == nil && a.Data != nil {
		return nil, errors.New("float array, want integer labels ('<i4', '<i8' or '|u1')")
	}
	out := make([]int32, len(a.Ints))
	for i, v := range a.Ints {
		if v < math.MinInt32 || v > math.MaxInt32 {
			return nil, fmt.Errorf("label %d at index %d does not fit int32", v, i)
		}
		out[i] = int32(v)
	}
	return out, nil
}

// The npy format: magic, version, header length (uint16 in 1.0, uint32 in
// 2.0 and 3.0), a Python dict literal padded with spaces and a newline so
// the data starts at a multiple of 64 bytes, then the data.
const (
	magic      = "\x93NUMPY"
	align      = 64
	maxHeader  = 1 << 20 // numpy writes a few hundred bytes; refuse absurd headers
	maxDims    = 64      // numpy 2's NPY_MAXDIMS
	chunkBytes = 1 << 16
)

// dtype is an element type Read understands.
type dtype struct {
	descr string
	size  int
	float bool
}

var dtypes = []dtype{
	{"<f4", 4, true}, {"<f8", 8, true},
	{"<i4", 4, false}, {"<i8", 8, false}, {"|u1", 1, false},
}

func lookupDtype(descr string) (dtype, bool) {
	for _, d := range dtypes {
		if d.descr == descr {
			return d, true
		}
	}
	return dtype{}, false
}

// check reports whether a's shape and values agree, for Write.
func (a Array) check() error {
	n := 1
	for _, d := range a.Shape {
		if d < 0 {
			return fmt.Errorf("shape %v has a negative dimension", a.Shape)
		}
		if d != 0 && n > math.MaxInt/8/d {
			return fmt.Errorf("shape %v is too large", a.Shape)
		}
		n *= d
	}
	switch {
	case a.Data != nil && a.Ints != nil:
		return errors.New("both Data and Ints are set")
	case a.Ints != nil && len(a.Ints) != n:
		return fmt.Errorf("%d integer values for shape %v (%d)", len(a.Ints), a.Shape, n)
	case a.Ints == nil && len(a.Data) != n:
		return fmt.Errorf("%d float values for shape %v (%d)", len(a.Data), a.Shape, n)
	}
	return nil
}

// header returns a's npy preamble: magic, version, length and padded dict.
func (a Array) header() []byte {
	descr := "<f4"
	if a.Ints != nil {
		descr = "<i8"
	}
	dims := make([]string, len(a.Shape))
	for i, d := range a.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := strings.Join(dims, ", ")
	if len(dims) == 1 {
		shape += ","
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape)
	pre := len(magic) + 2 + 2
	ver := byte(1)
	if pad(pre, len(dict)) > math.MaxUint16 {
		pre, ver = len(magic)+2+4, 2
	}
	n := pad(pre, len(dict))
	b := make([]byte, 0, pre+n)
	b = append(b, magic...)
	b = append(b, ver, 0)
	if ver == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(n))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(n))
	}
	b = append(b, dict...)
	for len(b) < pre+n-1 {
		b = append(b, ' ')
	}
	return append(b, '\n')
}

// pad is the header length (dict, spaces and newline) that makes pre + it a
// multiple of align.
func pad(pre, dict int) int {
	total := pre + dict + 1
	return (total+align-1)/align*align - pre
}

// writeNPY writes a as a .npy file.
func writeNPY(w io.Writer, a Array) error {
	if _, err := w.Write(a.header()); err != nil {
		return err
	}
	buf := make([]byte, 0, chunkBytes)
	flush := func() error {
		_, err := w.Write(buf)
		buf = buf[:0]
		return err
	}
	for _, v := range a.Data {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		if len(buf) == cap(buf) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	for _, v := range a.Ints {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(v))
		if len(buf) == cap(buf) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// readNPY reads one .npy file from r, whose total size is size bytes (or
// unknown if size < 0). The shape is checked against size before the data
// is read, and the data buffer grows only as bytes actually arrive, so a
// lying header cannot make it allocate more than the input holds.
func readNPY(r io.Reader, size int64) (Array, error) {
	var pre [len(magic) + 2]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return Array{}, fmt.Errorf("truncated preamble, want %q and a version: %w", magic, noEOF(err))
	}
	if string(pre[:len(magic)]) != magic {
		return Array{}, fmt.Errorf("bad magic %q, want %q (not a .npy array)", pre[:len(magic)], magic)
	}
	major, minor := pre[len(magic)], pre[len(magic)+1]
	var hlen int64
	switch major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Array{}, fmt.Errorf("truncated header length: %w", noEOF(err))
		}
		hlen = int64(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Array{}, fmt.Errorf("truncated header length: %w", noEOF(err))
		}
		hlen = int64(binary.LittleEndian.Uint32(b[:]))
	default:
		return Array{}, fmt.Errorf("npy format version %d.%d, want 1.0, 2.0 or 3.0", major, minor)
	}
	start := int64(len(pre)) + 2
	if major > 1 {
		start += 2
	}
	if hlen > maxHeader {
		return Array{}, fmt.Errorf("header of %d bytes, want at most %d", hlen, maxHeader)
	}
	if size >= 0 && start+hlen > size {
		return Array{}, fmt.Errorf("header of %d bytes runs past the entry's %d bytes", hlen, size)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return Array{}, fmt.Errorf("truncated header (%d bytes claimed): %w", hlen, noEOF(err))
	}
	dt, shape, err := parseHeader(string(hdr))
	if err != nil {
		return Array{}, fmt.Errorf("header %q: %w", strings.TrimSpace(string(hdr)), err)
	}
	n := 1
	for _, d := range shape {
		if d != 0 && n > math.MaxInt/dt.size/d {
			return Array{}, fmt.Errorf("shape %v of %s is too large", shape, dt.descr)
		}
		n *= d
	}
	want := int64(n) * int64(dt.size)
	if size >= 0 && size-start-hlen != want {
		return Array{}, fmt.Errorf("shape %v of %s needs %d data bytes, the entry holds %d", shape, dt.descr, want, size-start-hlen)
	}
	data, err := io.ReadAll(io.LimitReader(r, want+1))
	if err != nil {
		return Array{}, fmt.Errorf("data of shape %v: %w", shape, err)
	}
	switch {
	case int64(len(data)) < want:
		return Array{}, fmt.Errorf("truncated data: %d of the %d bytes of shape %v of %s", len(data), want, shape, dt.descr)
	case int64(len(data)) > want:
		return Array{}, fmt.Errorf("data longer than the %d bytes of shape %v of %s", want, shape, dt.descr)
	}
	return decode(dt, shape, data), nil
}

// noEOF turns a bare EOF, which callers would read as a clean end, into
// ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// decode converts little-endian values of dtype dt.
func decode(dt dtype, shape []int, b []byte) Array {
	a := Array{Shape: shape}
	n := len(b) / dt.size
	le := binary.LittleEndian
	switch dt.descr {
	case "<f4":
		a.Data = make([]float32, n)
		for i := range a.Data {
			a.Data[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
	case "<f8":
		a.Data = make([]float32, n)
		for i := range a.Data {
			a.Data[i] = float32(math.Float64frombits(le.Uint64(b[8*i:])))
		}
	case "<i4":
		a.Ints = make([]int64, n)
		for i := range a.Ints {
			a.Ints[i] = int64(int32(le.Uint32(b[4*i:])))
		}
	case "<i8":
		a.Ints = make([]int64, n)
		for i := range a.Ints {
			a.Ints[i] = int64(le.Uint64(b[8*i:]))
		}
	case "|u1":
		a.Ints = make([]int64, n)
		for i, v := range b {
			a.Ints[i] = int64(v)
		}
	}
	return a
}

// parseHeader reads the dict literal of an npy header: the keys 'descr',
// 'fortran_order' and 'shape', in any order, each exactly once.
func parseHeader(h string) (dtype, []int, error) {
	p := &parser{s: h}
	var (
		dt       dtype
		shape    []int
		seen     = map[string]bool{}
		fortran  bool
		hasDescr bool
	)
	if err := p.expect('{'); err != nil {
		return dt, nil, err
	}
	for {
		p.space()
		if p.peek() == '}' {
			p.i++
			break
		}
		key, err := p.str()
		if err != nil {
			return dt, nil, fmt.Errorf("want a key: %w", err)
		}
		if seen[key] {
			return dt, nil, fmt.Errorf("key %q twice", key)
		}
		seen[key] = true
		if err := p.expect(':'); err != nil {
			return dt, nil, err
		}
		switch key {
		case "descr":
			p.space()
			if c := p.peek(); c == '[' || c == '{' {
				return dt, nil, errors.New("structured dtype, want one of '<f4', '<f8', '<i4', '<i8', '|u1'")
			}
			d, err := p.str()
			if err != nil {
				return dt, nil, fmt.Errorf("'descr': %w", err)
			}
			var ok bool
			if dt, ok = lookupDtype(d); !ok {
				return dt, nil, fmt.Errorf("unsupported dtype %q, want one of '<f4', '<f8', '<i4', '<i8', '|u1'", d)
			}
			hasDescr = true
		case "fortran_order":
			p.space()
			switch {
			case p.word("False"):
			case p.word("True"):
				fortran = true
			default:
				return dt, nil, errors.New("'fortran_order' is not True or False")
			}
		case "shape":
			if shape, err = p.tuple(); err != nil {
				return dt, nil, fmt.Errorf("'shape': %w", err)
			}
		default:
			return dt, nil, fmt.Errorf("unknown key %q", key)
		}
		p.space()
		if p.peek() == ',' {
			p.i++
		} else if p.peek() != '}' {
			return dt, nil, fmt.Errorf("want ',' or '}' at offset %d", p.i)
		}
	}
	p.space()
	if p.i != len(p.s) {
		return dt, nil, fmt.Errorf("text after the dict at offset %d", p.i)
	}
	switch {
	case !hasDescr:
		return dt, nil, errors.New("no 'descr'")
	case !seen["fortran_order"]:
		return dt, nil, errors.New("no 'fortran_order'")
	case !seen["shape"]:
		return dt, nil, errors.New("no 'shape'")
	case fortran:
		return dt, nil, errors.New("fortran_order True, want False (C order; save with np.ascontiguousarray)")
	}
	if shape == nil {
		shape = []int{}
	}
	return dt, shape, nil
}

// parser is a cursor over a header's Python literal.
type parser struct {
	s string
	i int
}

func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *parser) expect(c byte) error {
	p.space()
	if p.peek() != c {
		return fmt.Errorf("want %q at offset %d", c, p.i)
	}
	p.i++
	return nil
}

// word consumes w if it comes next as a whole identifier.
func (p *parser) word(w string) bool {
	if !strings.HasPrefix(p.s[p.i:], w) {
		return false
	}
	end := p.i + len(w)
	if end < len(p.s) && (isDigit(p.s[end]) || p.s[end] == '_' || 'A' <= p.s[end]&^0x20 && p.s[end]&^0x20 <= 'Z') {
		return false
	}
	p.i = end
	return true
}

// str reads a quoted string without escapes (npy keys and dtypes have none).
func (p *parser) str() (string, error) {
	p.space()
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", fmt.Errorf("want a quoted string at offset %d", p.i)
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	s := p.s[p.i+1 : p.i+1+end]
	if strings.IndexByte(s, '\\') >= 0 {
		return "", errors.New("escape in string")
	}
	p.i += end + 2
	return s, nil
}

// tuple reads a tuple of non-negative integers, like (), (3,) or (2, 3).
func (p *parser) tuple() ([]int, error) {
	if err := p.expect('('); err != nil {
		return nil, err
	}
	shape := []int{}
	for {
		p.space()
		if p.peek() == ')' {
			p.i++
			return shape, nil
		}
		if len(shape) == maxDims {
			return nil, fmt.Errorf("more than %d dimensions", maxDims)
		}
		j := p.i
		for p.i < len(p.s) && isDigit(p.s[p.i]) {
			p.i++
		}
		d, err := strconv.Atoi(p.s[j:p.i])
		if err != nil {
			return nil, fmt.Errorf("want a dimension (a non-negative integer) at offset %d", j)
		}
		if p.peek() == 'L' { // Python 2's long literals
			p.i++
		}
		shape = append(shape, d)
		p.space()
		switch p.peek() {
		case ',':
			p.i++
		case ')':
		default:
			return nil, fmt.Errorf("want ',' or ')' at offset %d", p.i)
		}
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
