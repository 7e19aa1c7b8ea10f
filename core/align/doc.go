// Package align implements the learning rules of untied networks: the five
// primitives of the alignment loss (spec/rules.md §2), their weighted
// compositions, the named rules of Kunin et al. 2020 and their neighbours
// (§3), and the alignment time scale (§7).
//
// For one untied layer with forward weights W, feedback weights B and a batch
// x of N inputs (constant, as are W), with
//
//	Pf = Apply(x, W)         forward projection (dense x·Wᵀ, conv conv(x, W))
//	Pb = Apply(x, B)         input projected through B
//	Rf = Transpose(Pf, B)    reconstruction of x from Pf through B
//
// the primitives are (sums over units and positions, means over N, no ½):
//
//	Decay   R = ΣB²              ∂R/∂B = 2B
//	Amp     R = −(1/N)⟨Pf, Pb⟩   ∂R/∂B = −(1/N)·Filter(x, Pf)
//	Null    R = (1/N)‖Rf‖²       ∂R/∂B = (2/N)·Filter(Rf, Pf)
//	Sparse  R = (1/N)‖Pb‖²       ∂R/∂B = (2/N)·Filter(x, Pb)
//	Self    R = −⟨W, B⟩          ∂R/∂B = −W
//
// where Filter(x, dy) is the weight adjoint of Apply (dense dyᵀ·x, conv
// conv_backprop_filter(x, dy)). A sixth term, NullBack, is the Null of the
// backward reconstruction used by one IA variant:
//
//	NullBack  R = (1/N)‖Rb‖², Rb = Transpose(Pb, W)   ∂R/∂B = (2/N)·Filter(x, Apply(Rb, W))
//
// Everything goes through nn.Linear, so the package never knows whether a
// layer is dense or convolutional.
//
// A Spec is a weighted sum of terms, each coefficient with its own schedule
// (Coef), times a global Scale, plus what the rule does besides: the backward
// route, whether an optimizer trains B, Kolen-Pollack's transport of W's task
// gradient, sign symmetry, input noise. Preset returns the named rules; New
// builds a *Rule, which implements train.Rule: AfterBackward adds the
// alignment-loss gradient into every B.Grad (the task optimizer must exclude
// Feedback parameters, and a second optimizer over them applies it), Before
// rewrites B for the sign-symmetry rules.
//
// TimeScale and ScaleFor express the alignment rate as a fraction of the run
// (rules.md §7): with the reference coefficients a short run never aligns.
package align
