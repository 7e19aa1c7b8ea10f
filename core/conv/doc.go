// Package conv computes 2-D convolutions of NCHW batches on the gemm engine:
// the forward pass, the backward pass to the input through any filter (W for
// backprop, B for the feedback route), and the filter gradient.
//
// Layers use only the five methods of Op (Forward, BackwardData,
// BackwardFilter, and the fused ForwardPair and BackwardFilterPair, which
// lower the input once for two filters), so a faster engine can replace
// this implementation without touching them.
package conv
