package tensor

import (
	"fmt"
	"math"
)

// Tensor is a float32 array in row-major order. Data may be longer than
// the shape needs only through Ensure's reuse; Len gives the used part.
// An image batch may instead lie on a Grid (grid.go), padded as a
// convolution reads it; the functions here other than Ensure, Clone and
// Zero take dense tensors only.
type Tensor struct {
	Shape []int
	Data  []float32
	Grid  *Grid // nil: dense
}

// New returns a zeroed tensor of the given shape.
func New(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, Volume(shape))}
}

// FromData wraps data as a tensor of the given shape. It panics if the
// lengths disagree, which is a programming error.
func FromData(data []float32, shape ...int) *Tensor {
	if Volume(shape) != len(data) {
		panic(fmt.Sprintf("tensor: %d values for shape %v", len(data), shape))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}
}

// Volume is the number of elements of a shape.
func Volume(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len is the number of elements.
func (t *Tensor) Len() int { return Volume(t.Shape) }

// NCHW returns the four dimensions of an image batch.
func (t *Tensor) NCHW() (n, c, h, w int) {
	if len(t.Shape) != 4 {
		panic(fmt.Sprintf("tensor: NCHW of shape %v", t.Shape))
	}
	return t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3]
}

// View returns a tensor of another shape sharing t's storage.
func (t *Tensor) View(shape ...int) *Tensor {
	t.mustBeDense("View")
	if Volume(shape) != t.Len() {
		panic(fmt.Sprintf("tensor: view %v of shape %v", shape, t.Shape))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: t.Data[:t.Len()]}
}

// Zero sets every element to 0.
func (t *Tensor) Zero() {
	if t.Grid != nil {
		clear(t.Data)
		return
	}
	clear(t.Data[:t.Len()])
}

// mustBeDense panics on a tensor on a grid: a caller that does not know
// grids would read its padding as values.
func (t *Tensor) mustBeDense(op string) {
	if t.Grid != nil {
		panic(fmt.Sprintf("tensor: %s of a tensor on a grid (call Dense first)", op))
	}
}

// Fill sets every element to v.
func (t *Tensor) Fill(v float32) {
	t.mustBeDense("Fill")
	d := t.Data[:t.Len()]
	for i := range d {
		d[i] = v
	}
}

// CopyFrom copies src's values into t; the volumes must match.
func (t *Tensor) CopyFrom(src *Tensor) {
	t.mustBeDense("CopyFrom")
	src.mustBeDense("CopyFrom")
	if src.Len() != t.Len() {
		panic(fmt.Sprintf("tensor: copy %v into %v", src.Shape, t.Shape))
	}
	copy(t.Data[:t.Len()], src.Data[:src.Len()])
}

// Clone returns a deep copy, on the same grid if t is on one.
func (t *Tensor) Clone() *Tensor {
	if t.Grid != nil {
		return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...), Grid: t.Grid}
	}
	c := New(t.Shape...)
	copy(c.Data, t.Data)
	return c
}

// SameShape reports whether t has exactly the given shape.
func (t *Tensor) SameShape(shape ...int) bool {
	if len(t.Shape) != len(shape) {
		return false
	}
	for i, d := range shape {
		if t.Shape[i] != d {
			return false
		}
	}
	return true
}

// Ensure returns t reshaped to shape if its storage is large enough, or a
// new tensor otherwise: dense, its contents unspecified. It is how layers
// reuse their buffers from one step to the next.
func Ensure(t *Tensor, shape ...int) *Tensor {
	n := Volume(shape)
	if t == nil || cap(t.Data) < n {
		return New(shape...)
	}
	t.Grid = nil
	if !t.SameShape(shape...) {
		t.Shape = append(t.Shape[:0], shape...)
	}
	t.Data = t.Data[:n]
	return t
}

// Dot is Σ aᵢbᵢ accumulated in float64.
func Dot(a, b []float32) float64 {
	var s float64
	for i, v := range a {
		s += float64(v) * float64(b[i])
	}
	return s
}

// Norm is the Euclidean norm, accumulated in float64.
func Norm(a []float32) float64 { return math.Sqrt(Dot(a, a)) }

// Add sets dst[i] += src[i].
func Add(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// Axpy sets dst[i] += alpha·src[i].
func Axpy(alpha float32, src, dst []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += alpha * src[i]
	}
}

// Scale sets dst[i] *= alpha.
func Scale(alpha float32, dst []float32) {
	for i := range dst {
		dst[i] *= alpha
	}
}
