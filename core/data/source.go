package data

import "github.com/untied-ml/untied/core/tensor"

// Source is a sequence of batches that can be taken in any order: batch i
// of epoch e always holds the same samples, augmented the same way. It is
// what training and evaluation read, whether the data sit in memory (a
// Loader) or are decoded on the fly (ImageNet).
type Source interface {
	Len() int     // samples per epoch
	Batches() int // batches per epoch
	// Batch fills x [b,C,H,W] and labels [b] with batch i of epoch e,
	// reusing their storage.
	Batch(epoch, i int, x *tensor.Tensor, labels []int32) (*tensor.Tensor, []int32, error)
}

// Source returns l as a Source.
func (l *Loader) Source() Source { return loaderSource{l} }

type loaderSource struct{ l *Loader }

func (s loaderSource) Len() int     { return s.l.ds.N }
func (s loaderSource) Batches() int { return s.l.Batches() }
func (s loaderSource) Batch(epoch, i int, x *tensor.Tensor, labels []int32) (*tensor.Tensor, []int32, error) {
	x, labels = s.l.Batch(epoch, i, x, labels)
	return x, labels, nil
}

// TrainSource returns ImageNet's training images in batches of size batch,
// shuffled and augmented from seed (see TrainBatch).
func (n *ImageNet) TrainSource(seed uint64, batch int) Source {
	return imageNetSource{n: n, seed: seed, batch: batch, train: true}
}

// ValSource returns ImageNet's validation images in batches of size batch.
func (n *ImageNet) ValSource(batch int) Source { return imageNetSource{n: n, batch: batch} }

type imageNetSource struct {
	n     *ImageNet
	seed  uint64
	batch int
	train bool
}

func (s imageNetSource) Len() int {
	if s.train {
		return s.n.TrainLen()
	}
	return s.n.ValLen()
}

func (s imageNetSource) Batches() int {
	if s.train {
		return s.n.TrainBatches(s.batch)
	}
	return s.n.ValBatches(s.batch)
}

func (s imageNetSource) Batch(epoch, i int, x *tensor.Tensor, labels []int32) (*tensor.Tensor, []int32, error) {
	if s.train {
		return s.n.TrainBatch(s.seed, epoch, i, s.batch, x, labels)
	}
	return s.n.ValBatch(i, s.batch, x, labels)
}
