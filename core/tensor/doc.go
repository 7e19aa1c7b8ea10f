// Package tensor holds dense float32 tensors in row-major (NCHW for images)
// order, their shapes, and views that share storage.
//
// Tensors are plain values: a shape and a flat slice. Layers keep the tensors
// they produce and reuse them across training steps through Ensure, so a
// training step allocates nothing once the first batch has been seen.
package tensor
