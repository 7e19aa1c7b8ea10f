// Package align implements the learning rules of untied networks: the five
// primitives of the alignment loss (docs/rules.md §2), their weighted
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
// builds a *Rule, which implements train.Rule (and train.BeforeBackwardRule,
// for dfa): AfterBackward adds the alignment-loss gradient into every B.Grad
// (the task optimizer must exclude Feedback parameters, and a second
// optimizer over them applies it), Before rewrites B for the sign-symmetry
// rules.
//
// Under train.Trainer, BeforeBackward (after the forward pass, before the
// backward pass) also starts the alignment gradients of the rules whose
// Filter(x, D) call has a D the forward pass fixes (aa, wm and any
// composition with Sparse, NullBack, or Amp without Null): a conv layer
// then computes Pb beside Pf and Filter(x, D) beside W's gradient, each
// from one lowering of its input (nn.Fused's KeepFeedbackProjection and
// FilterAlong), and AfterBackward does the rest. The result is
// AfterBackward's alone, bit for bit except where Decay or Self has added
// to B.Grad before that Filter (then to rounding).
//
// Direct feedback alignment (preset dfa, Spec.Direct; Nøkland 2016) is not
// a loss on B: New installs on every untied layer an nn.Transport that,
// instead of dy·B, sends the layer's input
//
//	dx[n, :] = e[n, :]·D        e = dL/dlogits [N, classes], D [classes, size]
//
// reshaped to the input's shape, size the input's elements per sample. The
// Trainer hands e to Rule.BeforeBackward after the loss and before the
// backward pass. W's gradient still comes from the layer's real upstream
// dy, so the output layer's is exact and a hidden layer's is
// ((e·D′) ⊙ f′)ᵀ·x, D′ the projection of the layer that reads its
// activity: Nøkland's update. D is drawn on the layer's first backward
// pass (the input size is known only then) from New's seed and the layer's
// index, entries i.i.d. N(0, σ²), σ the layer's nn.Untied.InitStd (He's
// √(2/fanIn), fanIn = len(W)/W.Shape[0], or Xavier's), B's scale: dfa differs from fa only in the
// pathway of the error, not in the scale of the feedback weights, so the
// two compare in one table. The alternative, N(0, 1/classes), gives every
// input unit an error with the RMS of e whatever the layer's width; on
// LeNet (no BatchNorm) it made the hidden layers' W gradients 2–7 times
// backprop's at initialisation and training diverged at a learning rate
// where the He scale trains, whose gradients are within about 1× of
// backprop's as fa's are. D is dense over every input element,
// also for convs: it costs classes·C·H·W floats per layer. It is not in the
// network's parameters, and the layer's B is neither read nor trained under
// dfa (a checkpoint's B is unused); a run rebuilt from the same seed draws
// the same D. The first layer (NoInputGrad) never calls its transport.
//
// In a residual network the projected error enters at every conv's (and the
// dense head's) input and then passes exactly, locally, through the
// BatchNorm, ReLU and pooling derivatives in front of it; at a residual sum
// it adds to the identity path, which carries the error projected for the
// next block's input. This is how BioTorch-like libraries apply DFA to
// ResNets. The exact-backprop reference pass of train.StepWithReference is
// unaffected: the backprop route ignores transports.
//
// TimeScale and ScaleFor express the alignment rate as a fraction of the run
// (docs/rules.md §5): with the reference coefficients a short run never aligns.
package align
