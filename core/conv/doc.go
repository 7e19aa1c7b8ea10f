// Package conv computes 2-D convolutions of NCHW batches on the gemm engine:
// the forward pass, the backward pass to the input through any filter (W for
// backprop, B for the feedback route), and the filter gradient.
//
// Layers use only the three methods of Op, so a faster engine can replace
// this implementation without touching them.
package conv
