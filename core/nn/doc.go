// Package nn holds the layers of untied networks and the small module API
// that architectures are written in.
//
// Every Dense and Conv2D layer owns forward weights W and feedback weights B
// of the same shape. The forward pass uses W. The backward pass sends the
// error to the layer's input through B under the feedback route, or through
// W under backprop, and always computes the task gradient of W. BatchNorm,
// ReLU, pooling, residual additions and the loss are differentiated exactly.
//
// Layers do not know which learning rule trains B: a rule reaches a layer
// only through the Untied interface (its two weights, its last input and its
// linear map), and the route is set from outside with SetRoute. A layer may
// also implement Fused, the optional passes it can share with a rule (a
// conv lowers its input once for several products); every Fused method has
// a plain equivalent through Untied. Package nn/nntest holds the
// conformance suite every Untied layer must pass.
//
// Modules keep the tensors they produce and reuse them on the next call, so
// an output is valid until the module's next Forward (or Backward). Backward
// passes add into Param.Grad; the trainer zeroes gradients before each step.
package nn
