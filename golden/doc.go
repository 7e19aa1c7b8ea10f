// Package golden holds the oracle tests that prove the gradients of the
// layers in core/nn, in three layers of evidence (STYLE.md, "Numerics and
// tests"). The package has no exported API; everything is in its tests.
//
//  1. Identities that need no files. With B = W (a copy of W into B) the
//     feedback route must reproduce backprop bit for bit (the same float32
//     operations on the same numbers), input gradient and every parameter
//     gradient, for every untied layer and for a LeNet, a ResNet-18, a
//     ResNet-50 and a ResNet-50 v2 (identity_test.go); the feedback route
//     reads B and not W, in one layer and in whole networks (route_test.go).
//
//  2. A float64 reference. golden/internal/ref implements every layer as
//     the obvious loops, independent of core/. Its analytic gradients are
//     checked against central finite differences from gonum's diff/fd
//     (fd_test.go). Then every float32 layer's output, input gradient (on
//     both routes: the reference's transposed map with W, or with B) and
//     parameter gradients are checked against it on tiny shapes, with a
//     random upstream gradient dy (loss = Σ dy·y) so every output matters
//     (linear_test.go, norm_test.go, pool_test.go, residual_test.go,
//     sequential_test.go, loss_test.go). Tolerances come from the float32
//     error model: a value that went through k roundings is within
//     γ_k·Σ|terms| of the exact one, γ_k = k·2⁻²⁴/(1 − k·2⁻²⁴), with Σ|terms|
//     computed by the reference on absolute values.
//
//  3. Golden files. Small fixed-seed networks (a LeNet and a width-4
//     ResNet-18, feedback route, B ≠ W) run one forward/backward pass; the
//     loss, the input-gradient norm and summary statistics of every
//     parameter gradient are stored in testdata/*.json and compared with a
//     stated tolerance (golden_test.go). `go test ./golden/ -run Golden
//     -update` (make golden-update) regenerates the files; never edit them
//     by hand.
package golden
