// Package npz reads and writes NumPy's .npz archives: a zip file of .npy
// arrays, one entry "name.npy" per array, as np.savez writes and np.load
// reads them. It is how untied exchanges checkpoints and gradients with
// NumPy, PyTorch and JAX.
//
// Write stores float32 arrays as '<f4' and integer arrays as '<i8', in C
// order, in npy format 1.0 (2.0 when a header needs it), entries sorted by
// name and uncompressed, so equal arrays give byte-identical files. Read
// accepts '<f4' and '<f8' (converted to float32) and '<i4', '<i8' and '|u1'
// (as int64), in stored or deflated entries (np.savez_compressed).
//
// Files come from elsewhere, so Read trusts nothing in them: every error
// names the file, the entry and what was expected, a header's claimed shape
// is checked against the entry's size before anything is allocated for it,
// and no input makes it panic (FuzzReadNPY).
//
// The package depends on the standard library and core/atomicfile only;
// core/checkpoint maps a network's state onto it. It is not built on
// codeberg.org/sbinet/npyio (v0.14.0), which reads and writes the same
// format, because that reader allocates whatever shape a header claims
// before it reads any data: a 92-byte .npy claiming 4·10⁹ float32 makes it
// ask for 16 GB and the process die of a fatal out-of-memory error (not a
// recoverable panic), where Read here returns an error naming the entry
// (TestReadHugeClaim). Its npz writer also deflates every entry, where
// np.savez, and Write here, store them.
package npz
