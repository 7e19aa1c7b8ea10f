// Package checkpoint saves and restores a network's state, and the state of
// its optimizers, as one .npz archive that NumPy, PyTorch or JAX can read
// (docs/checkpoints.md lists every name).
//
// It is the glue between three packages that must not know each other:
// core/npz is a file format usable for any arrays (batches, gradients),
// core/nn names a network's tensors (nn.State), and core/optim holds the
// optimizer state but imports nn, so nn cannot import it. A small package
// above all three keeps each of them free of the others.
//
// An archive holds the network's tensors under nn.State's names and, for
// the i-th optimizer given, opt.<i>.step (int64 scalar), one
// opt.<i>.velocity.<param> per parameter it updates (float32, the
// parameter's shape). Update noise has no state to save: its draws are a
// function of the seed and the step. (Older checkpoints hold an
// opt.<i>.noise, the state of the PCG it once was; Load reads past it.)
package checkpoint
