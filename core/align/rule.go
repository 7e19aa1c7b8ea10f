package align

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/noise"
	"github.com/untied-ml/untied/core/tensor"
)

// Rule applies a Spec to a network's untied layers. It implements
// train.Rule and train.BeforeBackwardRule. It is not safe for concurrent
// use.
type Rule struct {
	spec   Spec
	total  int
	scale  float64
	layers []*layer
	coef   [numPrimitives]float64 // this step's scaled coefficients
	has    [numPrimitives]bool
	rng    *rand.Rand   // the brSF and frSF magnitudes
	noise  noise.Filler // InputNoise's, keyed by (seed, step, layer)
	loss   []float64
	seed   uint64
	pass   pass           // the fused sweep over activations, reused by every layer
	xDense *tensor.Tensor // dense's buffer, shared by the layers

	// The step in progress:
	step      int            // the step of the last Before or AfterBackward
	inStep    bool           // Before ran and AfterBackward has not
	outErr    *tensor.Tensor // dfa: the output error BeforeBackward stored
	outErrNow bool           // dfa: outErr is the step in progress's
}

// layer is one untied layer and its scratch, reused from step to step.
type layer struct {
	u     nn.Untied
	fused nn.Fused // u's shared passes; nil when it has none
	w, b  *nn.Param
	fanIn int
	std   float64        // the std W and B were drawn with (nn.Untied's InitStd)
	index int            // in New's layers
	mag   []float32      // frSF magnitudes
	proj  *tensor.Tensor // dfa: D, [classes, input size per sample]
	terms [numPrimitives]float64
	norm  [numPrimitives]float64 // the divisors of this step's terms (Normalize)

	// Scratch:
	noise      *tensor.Tensor // alignment input, with InputNoise
	noiseShape [4]int         // its shape's storage (InputBatch replaces the batch)
	xPart      tensor.Tensor  // under InputBatch: the input's first samples, a view
	xPartDense *tensor.Tensor // or their copy, when the input lies on a grid
	pfPart     tensor.Tensor  // and the forward pass's Pf of them, a view
	pf, pb     *tensor.Tensor // Apply(x, W), Apply(x, B)
	rf, rb     *tensor.Tensor // Transpose(Pf, B), Transpose(Pb, W)
	rbW        *tensor.Tensor // Apply(Rb, W)
	filterD    *tensor.Tensor // output-shaped: the argument D of a Filter(·, D) call
	filterGrad []float32      // B-shaped: Filter(x, D) when the layer's backward pass did not take it
	mean       []float64      // Center: a batch mean, one sample's size

	plan  plan             // this step's activity terms, from prepare to finish
	along nn.FilterRequest // early's request that the layer's Backward compute plan.filter
}

// plan is what prepare leaves for finish: one layer's activity terms for
// one step, half computed (see align and early).
type plan struct {
	prepared bool                   // prepare ran for the step in progress (early)
	alongSet bool                   // the layer took along (FilterAlong) for it
	x        *tensor.Tensor         // the alignment input
	pf       *tensor.Tensor         // Pf = x∘W (read only unless it is the layer's pf)
	coef     [numPrimitives]float64 // the scaled coefficients divided by norm
	filter   filterCall             // the Filter(x, filterD) call left for finish
}

// New returns the rule of spec for layers (as from nn.UntiedLayers), over a
// run of totalSteps steps (used by ramped coefficients only; it may be 0
// without ramps). It sets every layer's route to spec.Route and, for a
// Direct spec, installs the transport that sends the layer the projected
// output error (other specs clear any transport). seed fixes the input
// noise, the sign-symmetry magnitudes and the dfa projections.
func New(spec Spec, layers []nn.Untied, totalSteps int, seed uint64) (*Rule, error) {
	if err := spec.check(); err != nil {
		return nil, fmt.Errorf("align: rule %q: %v", spec.Name, err)
	}
	if len(layers) == 0 {
		return nil, errors.New("align: no untied layer")
	}
	for _, t := range spec.Terms {
		if t.Coef.Ramp != None && totalSteps <= 0 {
			return nil, fmt.Errorf("align: rule %q: %v has a ramp but the run has %d steps", spec.Name, t.Prim, totalSteps)
		}
	}
	r := &Rule{spec: spec, total: totalSteps, scale: spec.scale(),
		rng: rand.New(rand.NewPCG(seed, 0x616c69676e)), loss: make([]float64, len(layers)), seed: seed}
	r.spec.Terms = append([]Term(nil), spec.Terms...)
	if spec.InputNoise != nil {
		n := *spec.InputNoise
		r.spec.InputNoise = &n
		r.noise = noise.Filler{Dist: n.Dist, Sigma: n.Sigma}
	}
	for _, t := range spec.Terms {
		r.has[t.Prim] = true
	}
	for i, u := range layers {
		w, b := u.Weights()
		if w == nil || b == nil || w.Value.Len() != b.Value.Len() || b.Grad.Len() != b.Value.Len() {
			return nil, fmt.Errorf("align: layer %d: W and B must be parameters of the same size", i)
		}
		l := &layer{u: u, w: w, b: b, fanIn: w.Value.Len() / w.Value.Shape[0], std: u.InitStd(), index: i}
		l.fused, _ = u.(nn.Fused)
		if spec.Sign == SignFixedRandom {
			l.mag = make([]float32, w.Value.Len())
			for j := range l.mag {
				l.mag[j] = randomMagnitude(r.rng, l.std)
			}
		}
		// Pb of the layer's own input: the layer computes it with Pf,
		// from one lowering of the input. Not under sign symmetry, whose
		// Before rewrites B, possibly after a caller's forward pass.
		if l.fused != nil {
			l.fused.KeepFeedbackProjection((r.has[Sparse] || r.has[NullBack]) && spec.InputNoise == nil && spec.InputBatch == 0 && spec.Sign == NoSign)
		}
		u.SetRoute(spec.Route)
		if spec.Direct {
			u.SetTransport(r.direct(l))
		} else {
			u.SetTransport(nil)
		}
		r.layers = append(r.layers, l)
	}
	return r, nil
}

// Spec returns the rule's spec.
func (r *Rule) Spec() Spec { return r.spec }

// Loss returns the alignment loss R = Σ coef·R_prim of each layer at the
// last AfterBackward (scaled coefficients; 0 for rules without terms). The
// slice is the rule's own.
func (r *Rule) Loss() []float64 { return r.loss }

// TermLoss returns the unweighted value of primitive p for layer i at the
// last AfterBackward, or NaN if the rule has no such term.
func (r *Rule) TermLoss(i int, p Primitive) float64 {
	if p < 0 || p >= numPrimitives || !r.has[p] {
		return math.NaN()
	}
	return r.layers[i].terms[p]
}

// Coef returns the scaled coefficient of primitive p at a step (0 if the
// rule has no such term).
func (r *Rule) Coef(p Primitive, step int) float64 {
	prog := 0.0
	if r.total > 0 {
		prog = min(1, max(0, float64(step)/float64(r.total)))
	}
	for _, t := range r.spec.Terms {
		if t.Prim == p {
			return r.scale * t.Coef.At(prog)
		}
	}
	return 0
}

// Before opens step: it sets B = sign(W)·M for the sign-symmetry rules,
// and under dfa marks the last output error stale until BeforeBackward.
func (r *Rule) Before(step int) {
	r.outErrNow = false
	r.step, r.inStep = step, true
	for _, l := range r.layers {
		l.plan.prepared = false
	}
	if r.spec.Sign == NoSign {
		return
	}
	for _, l := range r.layers {
		w, b := l.w.Value.Data[:l.w.Value.Len()], l.b.Value.Data
		std := l.std
		for j, v := range w {
			var m float32
			switch r.spec.Sign {
			case SignUniform:
				m = float32(std)
			case SignBatchRandom:
				m = randomMagnitude(r.rng, std)
			case SignFixedRandom:
				m = l.mag[j]
			}
			switch {
			case v > 0:
				b[j] = m
			case v < 0:
				b[j] = -m
			default:
				b[j] = 0
			}
		}
	}
}

// randomMagnitude draws a brSF or frSF magnitude: uniform on [0, √3·std),
// so E[M²] = std². This is BioTorch's draw (the absolute value of a
// uniform initialisation); |N(0, std²)|, with the same second moment, has a
// heavier tail (coefficient of variation 0.76 against 0.58) and on
// LeNet-MNIST's Fashion-MNIST run (1 epoch, lr 0.0111) cost brSF 2.2
// points of test accuracy (81.3 against 83.5, seeds 1 and 2).
func randomMagnitude(rng *rand.Rand, std float64) float32 {
	return float32(math.Sqrt(3) * std * rng.Float64())
}

// AfterBackward adds every layer's alignment-loss gradient into B.Grad (and
// W.Grad into B.Grad for Kolen-Pollack), using the layer's last forward
// input. It allocates nothing once its scratch has grown to the batch.
func (r *Rule) AfterBackward(step int) {
	inStep := r.inStep && r.step == step
	r.step, r.inStep = step, false // the step whose noise the layers draw
	if len(r.spec.Terms) == 0 && !r.spec.KolenPollack {
		return
	}
	for p := range numPrimitives {
		r.coef[p] = r.Coef(p, step)
	}
	for i, l := range r.layers {
		if !inStep { // early's work was for another step
			l.plan.prepared = false
		}
		r.loss[i] = r.align(l)
		if r.spec.KolenPollack {
			tensor.Add(l.b.Grad.Data[:l.b.Grad.Len()], l.w.Grad.Data)
		}
	}
}

// align adds Σ c_p·∂R_p/∂B into B.Grad and returns Σ c_p·R_p. The
// activity terms are computed in two halves: prepare, which needs only the
// forward pass (BeforeBackward may have run it already, see early), and
// finish.
func (r *Rule) align(l *layer) float64 {
	c, has := &r.coef, &r.has
	w, b := l.w.Value.Data[:l.w.Value.Len()], l.b.Value.Data[:l.b.Value.Len()]
	g := l.b.Grad.Data[:l.b.Grad.Len()]
	if !l.plan.prepared {
		l.norm = [numPrimitives]float64{1, 1, 1, 1, 1, 1}
	}
	var total float64
	if has[Decay] {
		l.terms[Decay] = tensor.Dot(b, b)
		tensor.Axpy(float32(2*c[Decay]), b, g)
	}
	if has[Self] {
		l.terms[Self] = -tensor.Dot(w, b)
		tensor.Axpy(float32(-c[Self]), w, g)
	}
	if r.activity() {
		if !l.plan.prepared {
			l.dropAlong() // a request of an early for another step
			r.prepare(l)
		}
		r.finish(l)
	}
	l.dropAlong()
	l.plan.prepared = false
	for _, t := range r.spec.Terms {
		total += r.coef[t.Prim] * l.terms[t.Prim] / l.norm[t.Prim]
	}
	return total
}

// activity reports terms that read the layer's input.
func (r *Rule) activity() bool {
	has := &r.has
	return has[Amp] || has[Null] || has[Sparse] || has[NullBack]
}

// filterCall is the Filter(x, D) call prepare leaves for finish.
type filterCall int

const (
	filterNone filterCall = iota
	filterAmp             // Amp alone: ampGrad = Filter(x, Pf), Amp's gradient times −N
	filterSum             // the terms' sum: B.Grad += Filter(x, filterD)
)

// filterArg is D of the Filter(x, D) call the plan leaves for finish.
func (l *layer) filterArg() *tensor.Tensor {
	if l.plan.filter == filterAmp {
		return l.plan.pf
	}
	return l.filterD
}

// dropAlong cancels the layer's FilterAlong request, if any.
func (l *layer) dropAlong() {
	if l.plan.alongSet {
		l.fused.FilterAlong(nil)
		l.plan.alongSet = false
	}
}

// forwardProjection returns the layer's Input()∘W from its forward pass, nil when
// it cannot give it (see nn.Fused.Projection).
func (l *layer) forwardProjection() *tensor.Tensor {
	if l.fused == nil {
		return nil
	}
	return l.fused.Projection()
}

// feedbackProjection returns the layer's Input()∘B from its forward pass,
// nil when it did not compute it (see nn.Fused.FeedbackProjection).
func (l *layer) feedbackProjection() *tensor.Tensor {
	if l.fused == nil {
		return nil
	}
	return l.fused.FeedbackProjection()
}

// prepare is the half of align's activity terms that needs only the forward
// pass: the projections, the energies, the scaled coefficients, and D, the
// output-shaped argument of the one Filter(x, D) call the terms share. It
// fills l.plan for finish.
func (r *Rule) prepare(l *layer) {
	has := &r.has
	x, src := r.alignmentInput(l)
	pfT, pbT := r.projections(l, x, src)
	// With Center, x̃ = x − m (m the batch mean) and (x − m)∘V =
	// centre(x∘V) for any weights V. Every Filter call below takes an
	// output-shaped argument with zero batch mean (built from the
	// centred Pf and Pb), and Filter(x̃, D) = Filter(x, D) when D sums to
	// zero over the batch, so x itself stands in for x̃ there. The IA
	// merge's −⟨Rf, x⟩ is likewise unchanged (Rf sums to zero too).
	//
	// Amp alone (WM) takes its own Filter(x, Pf), scaled by −1/N in finish.
	ampAlone := has[Amp] && !has[Null] && pbT == nil
	var pfSq float64 // ‖Pf‖², for Normalize
	if r.spec.Normalize && (has[Null] || has[Amp] && pbT == nil) {
		pfSq = r.pass.run(pfT.Data[:pfT.Len()], nil, nil, 0, 0).uu
	}
	l.norm = [numPrimitives]float64{1, 1, 1, 1, 1, 1}
	if r.spec.Normalize {
		r.normalize(l, x, pfT, pbT, pfSq)
	}
	c := r.coef // a copy, divided by the energies
	for p := range c {
		c[p] /= l.norm[p]
	}
	l.plan.filter = filterNone
	switch {
	case ampAlone:
		l.plan.filter = filterAmp
	case pbT != nil:
		l.plan.filter = filterSum
		r.sumFilterArgument(l, &c, pfT, pbT)
	}
	l.plan.x, l.plan.pf, l.plan.coef = x, pfT, c
}

// inputSource says where the alignment input came from.
type inputSource int

const (
	ownInput   inputSource = iota // the layer's last input
	ownPrefix                     // its first InputBatch samples
	drawnNoise                    // noise (InputNoise)
)

// alignmentInput returns the input x of the layer's alignment terms: its
// own last input, its first InputBatch samples, or noise of that shape
// under InputNoise (of InputBatch samples).
func (r *Rule) alignmentInput(l *layer) (x *tensor.Tensor, src inputSource) {
	x = l.u.Input()
	if x == nil {
		panic("align: AfterBackward before the layer's first Forward")
	}
	shape := append(l.noiseShape[:0], x.Shape...)
	if b := r.spec.InputBatch; b > 0 && b < shape[0] {
		shape[0] = b
	}
	if r.spec.InputNoise == nil {
		if shape[0] == x.Shape[0] {
			return x, ownInput // on a grid, maybe: the layer's passes read it there; see dense
		}
		x = firstSamples(x, shape[0], &l.xPart)
		if x.Grid != nil {
			// The grid is laid out for the whole batch, which the passes
			// on n samples do not read in place: copy the n out of it.
			l.xPartDense = x.Dense(l.xPartDense)
			x = l.xPartDense
		}
		return x, ownPrefix
	}
	// Where the layer's passes read the noise on a grid in place, it is
	// drawn there, the same values, sparing each pass a layout; the terms
	// that read its values read the grid too (storage), but for Center's
	// batch mean.
	var g *tensor.Grid
	if l.fused != nil && !r.spec.Center {
		g = l.fused.InputGrid(shape)
	}
	if g != nil {
		l.noise = tensor.OnGrid(l.noise, g, shape...)
	} else {
		l.noise = tensor.Ensure(l.noise, shape...)
	}
	r.noise.FillTensor(l.noise, r.seed, uint64(r.step), uint64(l.index))
	return l.noise, drawnNoise
}

// firstSamples sets view to the first n samples of t, the same storage
// (dense, or on t's grid), and returns it.
func firstSamples(t *tensor.Tensor, n int, view *tensor.Tensor) *tensor.Tensor {
	view.Shape = append(view.Shape[:0], t.Shape...)
	view.Shape[0] = n
	view.Grid = t.Grid
	view.Data = t.Data
	if t.Grid == nil {
		view.Data = t.Data[:view.Len()]
	}
	return view
}

// dense returns x in NCHW order for the terms that read its values: x
// itself, or, when the layer before wrote it on a grid (tensor.Grid), a
// copy in one buffer the layers share (each use copies it again).
func (r *Rule) dense(x *tensor.Tensor) *tensor.Tensor {
	if x.Grid == nil {
		return x
	}
	r.xDense = x.Dense(r.xDense)
	return r.xDense
}

// storage returns the values x holds in its storage order: dense, or on a
// grid with the grid's zeros, which an elementwise pass over two tensors on
// the same grid keeps zero. Sums over it fall in another order than over
// the dense values: only the terms' reported values take them, never a
// coefficient of a gradient.
func storage(x *tensor.Tensor) []float32 {
	if x.Grid != nil {
		return x.Data[:x.Grid.Len(x.Shape[1])]
	}
	return x.Data[:x.Len()]
}

// projections returns Pf = x∘W where a term needs it and Pb = x∘B where a
// gradient needs it (nil otherwise), centred under Center. Amp's value
// comes from the adjoint identity ⟨Pf, x∘B⟩ = ⟨Filter(x, Pf), B⟩ instead
// of Pb. A Fused layer gives either from its forward pass on its own
// input (Pb when New asked for it; B has not moved since, as only the
// optimizer and Before change it, and Before only under sign symmetry).
func (r *Rule) projections(l *layer, x *tensor.Tensor, src inputSource) (pf, pb *tensor.Tensor) {
	has := &r.has
	if has[Amp] || has[Null] {
		pf = l.forwardProjection()
		switch {
		case pf != nil && src == ownPrefix:
			pf = firstSamples(pf, x.Shape[0], &l.pfPart)
		case pf == nil || src != ownInput:
			l.pf = l.u.Apply(x, l.w.Value.Data[:l.w.Value.Len()], l.pf)
			pf = l.pf
		}
		if r.spec.Center {
			pf = l.centered(pf, &l.pf)
		}
	}
	if has[Sparse] || has[NullBack] {
		if pb = l.feedbackProjection(); pb == nil || src != ownInput || r.spec.Sign != NoSign {
			l.pb = l.u.Apply(x, l.b.Value.Data[:l.b.Value.Len()], l.pb)
			pb = l.pb
		}
		if r.spec.Center {
			pb = l.centered(pb, &l.pb)
		}
	}
	return pf, pb
}

// normalize sets l.norm, the divisors of the activity terms under
// Normalize: energies of this batch (constants), a per-layer step-size
// control. The input energy divides the terms on Pb (and Amp beside
// them), the reconstruction energy Null; Amp without a term on Pb is
// divided by W's Rayleigh quotient. pfSq is ‖Pf‖².
func (r *Rule) normalize(l *layer, x, pfT, pbT *tensor.Tensor, pfSq float64) {
	has := &r.has
	ampRayleigh := has[Amp] && pbT == nil
	cx, cf := 1.0, 1.0
	if pbT != nil {
		var msq float64 // Center: the energy per element of m
		if r.spec.Center {
			msq = l.meanSquareOfBatchMean(r.dense(x))
		}
		// Dense, not the grid's storage: the sum's order, and so its last
		// bits and the coefficients', must not depend on the layout.
		xSq := r.pass.run(r.dense(x).Data[:x.Len()], nil, nil, 0, 0).uu
		cx = inputEnergy(xSq, x, pbT, l.fanIn, l.w.Value.Shape[0], msq)
	}
	if has[Null] || ampRayleigh {
		cf = reconstructionEnergy(pfSq, pfT, l.fanIn, x.Shape[1])
	}
	l.norm[Sparse], l.norm[NullBack], l.norm[Null] = cx, cx, cf
	l.norm[Amp] = cx
	if ampRayleigh {
		// Amp without a quadratic term on Pb (WM, IA) balances Decay:
		// divided by W's Rayleigh quotient its fixed point keeps W's
		// scale.
		// ρ = ‖Pf‖²/(N‖W‖²), from cf = ‖Pf‖²/N·taps.
		w := l.w.Value.Data[:l.w.Value.Len()]
		taps := float64(l.fanIn) / float64(x.Shape[1])
		rho := cf / taps / tensor.Dot(w, w)
		l.norm[Amp] = max(rho, 0x1p-126)
	}
}

// sumFilterArgument builds, for the terms on Pb, the argument of their
// shared Filter call,
//
//	D = −(c_amp/N)·Pf + (2c_sparse/N)·Pb + (2c_nullb/N)·Apply(Rb, W),
//
// in l.filterD, and sets the values of those terms. c holds the
// coefficients divided by the norms. (Amp beside Null without Pb, IA, is
// merged with Null in finish instead.)
func (r *Rule) sumFilterArgument(l *layer, c *[numPrimitives]float64, pfT, pbT *tensor.Tensor) {
	has := &r.has
	n := float64(pbT.Shape[0])
	pb := pbT.Data[:pbT.Len()]
	l.filterD = tensor.Ensure(l.filterD, pbT.Shape...)
	// One pass gives Amp's and Sparse's values and their part of D.
	a, bb := float32(-c[Amp]/n), float32(2*c[Sparse]/n)
	if has[Amp] {
		s := r.pass.run(pfT.Data[:pfT.Len()], pb, l.filterD.Data, a, bb)
		l.terms[Amp], l.terms[Sparse] = -s.uv/n, s.vv/n
	} else {
		l.terms[Sparse] = r.pass.run(pb, nil, l.filterD.Data, bb, 0).uu / n
	}
	if has[NullBack] {
		w := l.w.Value.Data[:l.w.Value.Len()]
		l.rb = l.u.Transpose(pbT, w, l.rb)
		rb := l.rb.Data[:l.rb.Len()]
		l.terms[NullBack] = tensor.Dot(rb, rb) / n
		l.rbW = l.u.Apply(l.rb, w, l.rbW)
		tensor.Axpy(float32(2*c[NullBack]/n), l.rbW.Data[:l.rbW.Len()], l.filterD.Data)
	}
}

// finish is the other half: the Filter(x, D) call, unless the layer's
// backward pass made it (early), and the terms that need B reconstructed.
func (r *Rule) finish(l *layer) {
	has := &r.has
	b := l.b.Value.Data[:l.b.Value.Len()]
	g := l.b.Grad.Data[:l.b.Grad.Len()]
	x, pfT, c := l.plan.x, l.plan.pf, &l.plan.coef
	n := float64(x.Shape[0])
	// The layer's backward pass computed plan.filter into along.Grad.
	along := l.plan.alongSet && l.along.Done
	if l.plan.filter != filterNone {
		// gs = Filter(x, D), taken alone and then added, as the layer's
		// backward pass takes it: the same bits either way (Filter into
		// g with beta 1 would sum in another order where k is blocked).
		gs := l.along.Grad
		if !along {
			l.filterGrad = grow(l.filterGrad, len(g))
			l.u.Filter(x, l.filterArg(), l.filterGrad, 0)
			gs = l.filterGrad
		}
		if l.plan.filter == filterAmp { // gs is Amp's gradient before its coefficient, times −N
			l.terms[Amp] = -tensor.Dot(gs, b) / n
			tensor.Axpy(float32(-c[Amp]/n), gs, g)
		} else {
			tensor.Add(g, gs)
		}
	}
	if has[Null] {
		// Amp beside Null without Pb (IA): both gradients are Filter(·, Pf)
		// and Filter is linear in its input, so one call on
		// (2c_null/N)·Rf − (c_amp/N)·x gives both; Amp's value is
		// −⟨Rf, x⟩/N by the adjoint identity ⟨Transpose(Pf, B), x⟩ = ⟨Pf, Pb⟩.
		// Transpose uses the geometry of the last Apply, on x's shape.
		// On x's grid, Rf is written there (Transpose, where the layer can)
		// for Filter to read in place, and the merge below runs over both
		// grids' storage, whose zeros stay zero.
		pf := pfT.Data[:pfT.Len()]
		switch {
		case x.Grid != nil:
			l.rf = tensor.OnGrid(l.rf, x.Grid, x.Shape...)
		case l.rf != nil && l.rf.Grid != nil:
			l.rf = nil
		}
		l.rf = l.u.Transpose(pfT, b, l.rf)
		rf := storage(l.rf)
		if has[Amp] && !has[Sparse] && !has[NullBack] {
			// One pass: both values and the combined input, in place.
			a, bb := float32(2*c[Null]/n), float32(-c[Amp]/n)
			xs := storage(x)
			if !l.rf.Grid.Equal(x.Grid) {
				xs = r.dense(x).Data[:x.Len()]
			}
			s := r.pass.run(rf, xs, rf, a, bb)
			l.terms[Null], l.terms[Amp] = s.uu/n, -s.uv/n
			l.u.Filter(l.rf, pfT, g, 1)
		} else {
			l.terms[Null] = r.pass.run(rf, nil, nil, 0, 0).uu / n
			l.filterD = tensor.Ensure(l.filterD, pfT.Shape...)
			r.pass.run(pf, nil, l.filterD.Data, float32(2*c[Null]/n), 0)
			l.u.Filter(l.rf, l.filterD, g, 1)
		}
	}
}

// early runs prepare for every layer from BeforeBackward, between the
// forward and backward passes of the step Before announced, and hands each
// Fused layer D (FilterAlong) so its backward pass computes Filter(x, D)
// with W's gradient from one lowering of x. AfterBackward of the same step
// then runs only finish. Only where the rule has such a Filter call on the
// layer's own input.
func (r *Rule) early() {
	if !r.inStep || !r.activity() || r.spec.InputNoise != nil || r.spec.InputBatch > 0 {
		return // D of a Filter(x, D) on noise or on part of x: not the layer's backward pass's
	}
	has := &r.has
	if !has[Sparse] && !has[NullBack] && (!has[Amp] || has[Null]) {
		return // no Filter(x, ·) call (IA: Filter(Rf', Pf) only)
	}
	for p := range numPrimitives {
		r.coef[p] = r.Coef(p, r.step)
	}
	for _, l := range r.layers {
		if l.u.Input() == nil {
			continue
		}
		r.prepare(l)
		l.plan.prepared = true
		if l.plan.filter == filterNone || l.fused == nil {
			continue
		}
		l.along = nn.FilterRequest{D: l.filterArg(), Grad: grow(l.along.Grad, l.b.Grad.Len())}
		l.plan.alongSet = l.fused.FilterAlong(&l.along)
	}
}

// inputEnergy returns, from sumSq = ‖x‖², tr Σ̂, Σ̂ the covariance of the vectors the layer
// multiplies by its weights (inputs of a dense layer, patches of a conv
// summed over positions), estimated as mean(x²)·P·fanIn with P the output
// positions per output channel (out has k channels); padding makes it a
// slight overestimate. meanSq, subtracted from mean(x²), is the energy per
// element of the batch mean under Center (0 otherwise). It is at least the
// smallest normal float, to stay finite.
func inputEnergy(sumSq float64, x, out *tensor.Tensor, fanIn, k int, meanSq float64) float64 {
	n := float64(x.Shape[0])
	p := float64(out.Len()) / (n * float64(k))
	msq := sumSq/float64(x.Len()) - meanSq
	return max(msq*p*float64(fanIn), 0x1p-126)
}

// reconstructionEnergy is inputEnergy, from sumSq = ‖Pf‖², for the reconstruction
// Transpose(Pf, ·), whose "patches" are Pf's values seen by each filter
// tap: ‖Pf‖²/N·KK with KK = fanIn/C the taps per input channel (1 for a
// dense layer), at least the smallest normal float.
func reconstructionEnergy(sumSq float64, pf *tensor.Tensor, fanIn, c int) float64 {
	taps := float64(fanIn) / float64(c)
	e := sumSq / float64(pf.Shape[0]) * taps
	return max(e, 0x1p-126)
}

// batchMean sets m (grown to one sample's size) to the mean of t, shaped
// [N, ...], over the batch, element by element, and returns it.
func batchMean(t *tensor.Tensor, m []float64) []float64 {
	n := t.Shape[0]
	per := t.Len() / n
	if cap(m) < per {
		m = make([]float64, per)
	}
	m = m[:per]
	clear(m)
	for i := range n {
		for j, v := range t.Data[i*per : (i+1)*per] {
			m[j] += float64(v)
		}
	}
	for j := range m {
		m[j] /= float64(n)
	}
	return m
}

// centered returns t minus its batch mean: in place when t is the rule's
// own scratch *buf, else (a layer's read-only projection) in a copy made
// into *buf.
func (l *layer) centered(t *tensor.Tensor, buf **tensor.Tensor) *tensor.Tensor {
	if t != *buf {
		*buf = tensor.Ensure(*buf, t.Shape...)
		copy((*buf).Data, t.Data[:t.Len()])
	}
	l.centerBatch(*buf)
	return *buf
}

// centerBatch subtracts from t its mean over the batch, element by element.
func (l *layer) centerBatch(t *tensor.Tensor) {
	l.mean = batchMean(t, l.mean)
	per := len(l.mean)
	for i := range t.Shape[0] {
		row := t.Data[i*per : (i+1)*per]
		for j, m := range l.mean {
			row[j] -= float32(m)
		}
	}
}

// meanSquareOfBatchMean returns the mean over elements of m², m the batch
// mean of x: mean(x²) minus this is the energy per element of x − m.
func (l *layer) meanSquareOfBatchMean(x *tensor.Tensor) float64 {
	l.mean = batchMean(x, l.mean)
	var ss float64
	for _, m := range l.mean {
		ss += m * m
	}
	return ss / float64(len(l.mean))
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}
