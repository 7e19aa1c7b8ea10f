package conv

import (
	"github.com/untied-ml/untied/core/sched"
	"github.com/untied-ml/untied/core/vec"
)

// The per-image loops of the passes, run in parallel over images.
const (
	taskCol2im      = iota // src: col, dst: the NCHW batch
	taskGather             // src: an NCHW batch [n,K,P], dst: mat [K, g·P]
	taskScatter            // src: mat [K, g·P], dst: an NCHW batch [n,K,P]
	taskBand               // src: an NCHW batch [n,C,H,W], dst: the band's planes
	taskBandScatter        // src: the band's outputs [K, grid], dst: an NCHW batch [n,K,H,W]
	taskBandGather         // src: an NCHW batch [n,K,H,W], dst: [K, grid], zero off the image
)

// imageTask is one per-image loop over images [i0, i0+g) of a batch. It
// lives in its Op and is handed to sched.Parallel by pointer, so the passes
// allocate nothing.
type imageTask struct {
	o        *Op
	kind     int
	src, dst []float32
	i0, g    int
}

// perImage runs loop kind over images [i0, i0+g) in parallel; each image's
// output is written by one goroutine.
func (o *Op) perImage(kind int, src, dst []float32, i0, g int) {
	o.task = imageTask{o: o, kind: kind, src: src, dst: dst, i0: i0, g: g}
	sched.Parallel(g, 1, &o.task)
	o.task = imageTask{} // drop references to the caller's slices
}

// Range runs images [j0, j1) of the group.
func (t *imageTask) Range(j0, j1 int) {
	o, g := t.o, t.g
	ins, p := o.C*o.H*o.W, o.OutH()*o.OutW()
	for j := j0; j < j1; j++ {
		i := t.i0 + j
		switch t.kind {
		case taskCol2im:
			o.col2im(t.src[j*p:], t.dst[i*ins:(i+1)*ins], g*p)
		case taskGather:
			for k := 0; k < o.K; k++ {
				copy(t.dst[k*g*p+j*p:k*g*p+(j+1)*p], t.src[(i*o.K+k)*p:])
			}
		case taskBand:
			o.bandImage(t.dst, t.src, i, j)
		case taskBandScatter:
			o.bandOut(t.dst, t.src, i, j)
		case taskBandGather:
			o.bandIn(t.dst, t.src, i, j)
		case taskScatter:
			for k := 0; k < o.K; k++ {
				plane := t.dst[(i*o.K+k)*p : (i*o.K+k+1)*p]
				copy(plane, t.src[k*g*p+j*p:])
				if o.sums != nil { // one group: src[k·g·p] is image 0's first output
					o.gatherSums(i, k, plane, t.src[k*g*p])
				}
			}
		}
	}
}

// gather copies images [i0, i0+g) of the NCHW batch t [n,K,P] into mat
// [K, g·P], image j in columns j·P to (j+1)·P.
func (o *Op) gather(t, mat []float32, i0, g int) { o.perImage(taskGather, t, mat, i0, g) }

// scatter is gather's inverse: mat [K, g·P] back to images [i0, i0+g) of t.
func (o *Op) scatter(mat, t []float32, i0, g int) { o.perImage(taskScatter, mat, t, i0, g) }

// gatherSums sets ForwardSums's sums for image i's output plane k, shifted
// by channel k's first value.
func (o *Op) gatherSums(i, k int, plane []float32, first float32) {
	at := 2 * (i*o.K + k)
	o.sums[at], o.sums[at+1] = vec.ShiftedSums(plane, float64(first))
}

// imageSums is ForwardSums's gemm.BatchDone on the NCHW batch: the
// statistics of image first+i's output planes in y, taken as its product
// finishes.
type imageSums struct {
	o     *Op
	y     []float32
	first int
}

// Done gathers image first+i's sums.
func (h *imageSums) Done(i int) {
	o, p := h.o, h.o.oh*h.o.ow
	img := h.first + i
	for k := 0; k < o.K; k++ {
		o.gatherSums(img, k, h.y[(img*o.K+k)*p:(img*o.K+k+1)*p], h.y[k*p])
	}
}
