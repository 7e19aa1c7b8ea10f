package data

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/untied-ml/untied/core/tensor"
)

// LoaderConfig says how a Loader batches and augments a Dataset.
type LoaderConfig struct {
	Batch   int    // samples per batch, at least 1
	Shuffle bool   // a new random order each epoch; otherwise the data set's order
	Seed    uint64 // seeds the order and the augmentation

	// Mean and Std normalise each channel: (v − Mean[c]) / Std[c]. Either
	// may be nil (mean 0, std 1); otherwise it has one value per channel.
	Mean, Std []float32

	// CropPad > 0 zero-pads each image by CropPad pixels on every side and
	// crops it back to H×W at a random offset. The padding is black (pixel
	// value 0) before normalisation, as in the usual pad-crop-normalise order.
	CropPad int
	Flip    bool // mirror each image left-right with probability 1/2
	// DropLast drops the last batch if it is short; otherwise it is kept.
	DropLast bool
}

// Loader cuts a Dataset into batches. Batch i of epoch e depends only on
// (Seed, e, i), so batches can be taken in any order, and a run can resume
// in the middle of an epoch. A Loader caches the current epoch's order and
// is not safe for concurrent use.
type Loader struct {
	ds    *Dataset
	cfg   LoaderConfig
	scale []float32 // 1/Std[c]
	shift []float32 // −Mean[c]/Std[c]
	pad   []float32 // the normalised value of a padding pixel, −Mean[c]/Std[c]

	perm      []int32 // order of permEpoch, when shuffling
	permEpoch int
	permOK    bool

	pcg rand.PCG
	rng *rand.Rand
}

// NewLoader returns a Loader over ds, which it reads but does not copy.
func NewLoader(ds *Dataset, cfg LoaderConfig) (*Loader, error) {
	if ds == nil {
		return nil, fmt.Errorf("data: NewLoader: nil Dataset")
	}
	if err := ds.Validate(); err != nil {
		return nil, err
	}
	if cfg.Batch < 1 {
		return nil, fmt.Errorf("data: NewLoader(%s): batch size %d, want at least 1", ds.Name, cfg.Batch)
	}
	if cfg.CropPad < 0 {
		return nil, fmt.Errorf("data: NewLoader(%s): CropPad %d, want at least 0", ds.Name, cfg.CropPad)
	}
	if cfg.Mean != nil && len(cfg.Mean) != ds.C {
		return nil, fmt.Errorf("data: NewLoader(%s): %d means for %d channels", ds.Name, len(cfg.Mean), ds.C)
	}
	if cfg.Std != nil && len(cfg.Std) != ds.C {
		return nil, fmt.Errorf("data: NewLoader(%s): %d standard deviations for %d channels", ds.Name, len(cfg.Std), ds.C)
	}
	l := &Loader{ds: ds, cfg: cfg,
		scale: make([]float32, ds.C), shift: make([]float32, ds.C)}
	for c := range ds.C {
		m, s := float32(0), float32(1)
		if cfg.Mean != nil {
			m = cfg.Mean[c]
		}
		if cfg.Std != nil {
			s = cfg.Std[c]
		}
		if !(s > 0) || math.IsInf(float64(s), 0) || math.IsNaN(float64(m)) || math.IsInf(float64(m), 0) {
			return nil, fmt.Errorf("data: NewLoader(%s): channel %d has mean %v and std %v, want finite values and std > 0", ds.Name, c, m, s)
		}
		l.scale[c] = 1 / s
		l.shift[c] = -m / s
	}
	l.pad = l.shift // (0 − m)/s
	l.rng = rand.New(&l.pcg)
	return l, nil
}

// Batches is the number of batches in an epoch.
func (l *Loader) Batches() int {
	if l.cfg.DropLast {
		return l.ds.N / l.cfg.Batch
	}
	return (l.ds.N + l.cfg.Batch - 1) / l.cfg.Batch
}

// Batch fills x (reshaped with tensor.Ensure to [b, C, H, W]) and labels
// (resliced to length b, reallocated only if too short) with batch i of the
// given epoch, and returns them; b is the batch size, or less for a short
// last batch. It panics if i is not in [0, Batches()).
func (l *Loader) Batch(epoch, i int, x *tensor.Tensor, labels []int32) (*tensor.Tensor, []int32) {
	if i < 0 || i >= l.Batches() {
		panic(fmt.Sprintf("data: Batch(%d, %d) of %d batches", epoch, i, l.Batches()))
	}
	ds := l.ds
	lo := i * l.cfg.Batch
	b := min(l.cfg.Batch, ds.N-lo)
	x = tensor.Ensure(x, b, ds.C, ds.H, ds.W)
	if cap(labels) < b {
		labels = make([]int32, b)
	}
	labels = labels[:b]

	order := l.order(epoch)
	p := l.cfg.CropPad
	augment := p > 0 || l.cfg.Flip
	if augment {
		l.pcg.Seed(l.cfg.Seed^augmentSalt, mix(mix(uint64(epoch))+uint64(i)))
	}
	size := ds.C * ds.H * ds.W
	for k := range b {
		j := lo + k
		if order != nil {
			j = int(order[j])
		}
		labels[k] = ds.Labels[j]
		dy, dx, flip := 0, 0, false
		if augment {
			if p > 0 {
				dy = l.rng.IntN(2*p+1) - p
				dx = l.rng.IntN(2*p+1) - p
			}
			if l.cfg.Flip {
				flip = l.rng.Uint64()&1 == 1
			}
		}
		l.transform(x.Data[k*size:(k+1)*size], ds.Image(j), dy, dx, flip)
	}
	return x, labels
}

// transform writes the normalised image src, shifted and optionally
// mirrored, to dst: for each channel c, row y and column x,
//
//	x' := x; if flip { x' = W−1−x }
//	v := 0; if 0 ≤ y+dy < H && 0 ≤ x'+dx < W { v = src[c][y+dy][x'+dx] }
//	dst[c][y][x] = (v − Mean[c]) / Std[c]
//
// That is a crop at offset (P+dy, P+dx) of the image padded by P, then a
// mirror.
func (l *Loader) transform(dst, src []float32, dy, dx int, flip bool) {
	h, w := l.ds.H, l.ds.W
	for c := range l.ds.C {
		scale, shift, pad := l.scale[c], l.shift[c], l.pad[c]
		for y := range h {
			row := dst[(c*h+y)*w : (c*h+y+1)*w]
			sy := y + dy
			if sy < 0 || sy >= h {
				for x := range row {
					row[x] = pad
				}
				continue
			}
			srow := src[(c*h+sy)*w : (c*h+sy+1)*w]
			if dx == 0 && !flip {
				for x, v := range srow {
					row[x] = v*scale + shift
				}
				continue
			}
			// Columns [x0, x1) come from the image, the rest are padding.
			x0, x1 := max(0, -dx), min(w, w-dx)
			if flip {
				x0, x1 = max(0, dx), min(w, w+dx)
			}
			x0 = min(x0, w)
			x1 = max(x1, x0)
			for x := range row[:x0] {
				row[x] = pad
			}
			if flip {
				for x := x0; x < x1; x++ {
					row[x] = srow[w-1-x+dx]*scale + shift
				}
			} else {
				for x := x0; x < x1; x++ {
					row[x] = srow[x+dx]*scale + shift
				}
			}
			for x := x1; x < w; x++ {
				row[x] = pad
			}
		}
	}
}

// order returns the sample order of an epoch, or nil for the data set's own
// order. The permutation is cached, so a new epoch costs one shuffle and no
// allocation after the first.
func (l *Loader) order(epoch int) []int32 {
	if !l.cfg.Shuffle {
		return nil
	}
	if l.permOK && l.permEpoch == epoch {
		return l.perm
	}
	n := l.ds.N
	if l.perm == nil {
		l.perm = make([]int32, n)
	}
	for i := range l.perm {
		l.perm[i] = int32(i)
	}
	l.pcg.Seed(l.cfg.Seed, mix(uint64(epoch)))
	for i := n - 1; i > 0; i-- { // Fisher–Yates
		j := l.rng.IntN(i + 1)
		l.perm[i], l.perm[j] = l.perm[j], l.perm[i]
	}
	l.permEpoch, l.permOK = epoch, true
	return l.perm
}

// augmentSalt separates the augmentation stream from the shuffling stream.
const augmentSalt = 0x6175676d656e7421 // "augment!"

// mix is SplitMix64's finaliser, which spreads nearby epochs and batch
// numbers over the PCG's second seed word.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
