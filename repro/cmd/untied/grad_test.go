package main

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/untied-ml/untied/core/align"
	"github.com/untied-ml/untied/core/checkpoint"
	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/npz"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/core/train"
)

// writeBatch writes two random 28×28 images with labels 3 and 7.
func writeBatch(t *testing.T, dir string) string {
	t.Helper()
	r := rand.New(rand.NewPCG(5, 5))
	x := make([]float32, 2*28*28)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	path := filepath.Join(dir, "batch.npz")
	if err := npz.Write(path, map[string]npz.Array{
		"x": {Shape: []int{2, 1, 28, 28}, Data: x},
		"y": {Shape: []int{2}, Ints: []int64{3, 7}},
	}); err != nil {
		t.Fatal(err)
	}
	return path
}

// runGrad runs "untied grad" with args and returns what it wrote to -out.
func runGrad(t *testing.T, args ...string) map[string]npz.Array {
	t.Helper()
	var out, errb bytes.Buffer
	if code := mainErr(append([]string{"grad"}, args...), &out, &errb); code != 0 {
		t.Fatalf("untied grad %v exited %d: %s", args, code, errb.String())
	}
	for i, a := range args {
		if a == "-out" {
			g, err := npz.Read(args[i+1])
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
	}
	t.Fatal("no -out")
	return nil
}

func tinyNet(t *testing.T, arch string) nn.Module {
	t.Helper()
	net, err := model.New(model.Config{Arch: arch, Width: 2, Classes: 10, InChannels: 1, InputSize: 28, SmallStem: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// wantNames lists the documented arrays of a network's gradient file.
func wantNames(net nn.Module) []string {
	names := []string{"loss", "logits"}
	for _, l := range nn.UntiedLayers(net) {
		w, _ := l.Weights()
		layer := strings.TrimSuffix(w.Name, ".W")
		names = append(names, layer+".dx", layer+".dy")
	}
	for _, p := range net.Params() {
		names = append(names, gradName(p.Name))
	}
	return names
}

func TestGradNames(t *testing.T) {
	dir := t.TempDir()
	batch := writeBatch(t, dir)
	for _, arch := range []string{"lenet", "resnet18"} {
		out := filepath.Join(dir, arch+".npz")
		g := runGrad(t, "-model", arch, "-width", "2", "-rule", "sa", "-batch", batch, "-out", out)
		net := tinyNet(t, arch)
		want := wantNames(net)
		if len(g) != len(want) {
			t.Errorf("%s: %d arrays, want %d", arch, len(g), len(want))
		}
		for _, name := range want {
			if _, ok := g[name]; !ok {
				t.Errorf("%s: no %s", arch, name)
			}
		}
		for _, p := range net.Params() {
			if a := g[gradName(p.Name)]; !tensor.FromData(make([]float32, a.Len()), a.Shape...).SameShape(p.Value.Shape...) {
				t.Errorf("%s: %s has shape %v, want %v", arch, gradName(p.Name), a.Shape, p.Value.Shape)
			}
		}
		if s := g["loss"].Shape; len(s) != 0 {
			t.Errorf("%s: loss has shape %v, want ()", arch, s)
		}
		if s := g["logits"].Shape; len(s) != 2 || s[0] != 2 || s[1] != 10 {
			t.Errorf("%s: logits have shape %v, want [2 10]", arch, s)
		}
		// A few names the docs spell out.
		for _, name := range map[string][]string{
			"lenet":    {"conv1.dx", "conv1.dW", "conv2.dB", "fc1.dbias", "fc3.dy"},
			"resnet18": {"stem.conv.dx", "stem.bn.dgamma", "layer1.0.proj.conv.dW", "layer2.1.bn2.dbeta", "layer4.0.conv2.dB", "fc.dx"},
		}[arch] {
			if _, ok := g[name]; !ok {
				t.Errorf("%s: no %s", arch, name)
			}
		}
	}
}

// TestGradDeterministic runs the same command twice, and once more from
// the state the first run saved: the files are identical.
func TestGradDeterministic(t *testing.T) {
	dir := t.TempDir()
	batch := writeBatch(t, dir)
	state := filepath.Join(dir, "state.npz")
	a, b, c := filepath.Join(dir, "a.npz"), filepath.Join(dir, "b.npz"), filepath.Join(dir, "c.npz")
	common := []string{"-model", "resnet18", "-width", "2", "-rule", "brsf", "-seed", "3", "-batch", batch}
	runGrad(t, append(common, "-out", a, "-save-state", state)...)
	runGrad(t, append(common, "-out", b)...)
	runGrad(t, "-model", "resnet18", "-width", "2", "-rule", "brsf", "-seed", "3", "-batch", batch, "-state", state, "-out", c)
	fa, _ := os.ReadFile(a)
	for _, p := range []string{b, c} {
		fb, _ := os.ReadFile(p)
		if !bytes.Equal(fa, fb) {
			t.Errorf("%s differs from %s", filepath.Base(p), filepath.Base(a))
		}
	}
}

// refTranspose is the input gradient of a layer in float64 plain loops:
// dx = dy·w (dense) or conv_transpose(dy, w) (conv), and Σ|dy·w| over each
// output's terms, for the error bound.
func refTranspose(l nn.Untied, dy, w npz.Array, inShape []int) (dx, mag []float64) {
	dx = make([]float64, tensor.Volume(inShape))
	mag = make([]float64, len(dx))
	switch l := l.(type) {
	case *nn.Dense:
		n := dy.Shape[0]
		for i := 0; i < n; i++ {
			for o := 0; o < l.Out; o++ {
				g := float64(dy.Data[i*l.Out+o])
				for j := 0; j < l.In; j++ {
					v := g * float64(w.Data[o*l.In+j])
					dx[i*l.In+j] += v
					mag[i*l.In+j] += math.Abs(v)
				}
			}
		}
	case *nn.Conv2D:
		n, k, oh, ow := dy.Shape[0], dy.Shape[1], dy.Shape[2], dy.Shape[3]
		c, h, wd := inShape[1], inShape[2], inShape[3]
		for i := 0; i < n; i++ {
			for o := 0; o < k; o++ {
				for y := 0; y < oh; y++ {
					for x := 0; x < ow; x++ {
						g := float64(dy.Data[((i*k+o)*oh+y)*ow+x])
						for ci := 0; ci < c; ci++ {
							for ky := 0; ky < l.K; ky++ {
								for kx := 0; kx < l.K; kx++ {
									iy, ix := y*l.Stride-l.Pad+ky, x*l.Stride-l.Pad+kx
									if iy < 0 || iy >= h || ix < 0 || ix >= wd {
										continue
									}
									v := g * float64(w.Data[((o*c+ci)*l.K+ky)*l.K+kx])
									at := ((i*c+ci)*h+iy)*wd + ix
									dx[at] += v
									mag[at] += math.Abs(v)
								}
							}
						}
					}
				}
			}
		}
	}
	return dx, mag
}

// maxErr returns the largest |got − want| / bound, the bound being the
// float32 error model of a sum of products: terms·2⁻²⁴·Σ|aᵢbᵢ| per
// element, times 2 for the gemm's blocking and the final rounding.
func maxErr(got []float32, want, mag []float64, terms int) float64 {
	worst := 0.0
	for i, v := range got {
		bound := 2*float64(terms)*0x1p-24*mag[i] + 1e-30
		worst = max(worst, math.Abs(float64(v)-want[i])/bound)
	}
	return worst
}

// TestGradRoute checks every layer's dx against a plain-loop transposed
// product of the dy it wrote: through W under bp, through B under fa,
// where it is far from the W product. The ResNet's zero-initialised γ of
// each branch's last BN would stop every branch's error, so the state has
// every γ near 1.
func TestGradRoute(t *testing.T) {
	dir := t.TempDir()
	batch := writeBatch(t, dir)
	for _, arch := range []string{"lenet", "resnet18"} {
		state := filepath.Join(dir, arch+"-state.npz")
		net := tinyNet(t, arch)
		r := rand.New(rand.NewPCG(9, 9))
		for _, p := range net.Params() {
			if strings.HasSuffix(p.Name, ".gamma") {
				for i := range p.Value.Data {
					p.Value.Data[i] = float32(1 + 0.1*r.NormFloat64())
				}
			}
		}
		if err := checkpoint.Save(state, net); err != nil {
			t.Fatal(err)
		}
		for _, rule := range []string{"bp", "fa"} {
			out := filepath.Join(dir, arch+"-"+rule+".npz")
			args := []string{"-model", arch, "-width", "2", "-rule", rule, "-batch", batch, "-out", out, "-state", state}
			g := runGrad(t, args...)
			s, err := npz.Read(state)
			if err != nil {
				t.Fatal(err)
			}
			net := tinyNet(t, arch)
			x := tensor.New(2, 1, 28, 28)
			net.Forward(x, false) // fixes each layer's input shape
			for _, l := range nn.UntiedLayers(net) {
				w, _ := l.Weights()
				name := strings.TrimSuffix(w.Name, ".W")
				dy, dx := g[name+".dy"], g[name+".dx"]
				in := l.Input().Shape
				terms := dy.Shape[1] // products per dx element: Out (dense), Out·K·K at most (conv)
				if c, ok := l.(*nn.Conv2D); ok {
					terms *= c.K * c.K
				}
				wantW, magW := refTranspose(l, dy, s[name+".W"], in)
				wantB, magB := refTranspose(l, dy, s[name+".B"], in)
				if rule == "bp" {
					if e := maxErr(dx.Data, wantW, magW, terms); e > 1 {
						t.Errorf("%s bp: %s.dx is %.3g error bounds from Transpose(dy, W)", arch, name, e)
					}
					continue
				}
				if e := maxErr(dx.Data, wantB, magB, terms); e > 1 {
					t.Errorf("%s fa: %s.dx is %.3g error bounds from Transpose(dy, B)", arch, name, e)
				}
				var diff, norm float64
				for i, v := range dx.Data {
					diff += (float64(v) - wantW[i]) * (float64(v) - wantW[i])
					norm += wantW[i] * wantW[i]
				}
				if norm == 0 {
					t.Errorf("%s fa: %s received no error (dy = 0)", arch, name)
				} else if diff < 0.1*norm {
					t.Errorf("%s fa: %s.dx is within %.2g (relative) of Transpose(dy, W)", arch, name, math.Sqrt(diff/norm))
				}
			}
		}
	}
}

// TestGradBackpropIsExact checks bp's dW against the trainer's exact
// reference pass on the same state and batch: the same kernels in the same
// order, so equal bit for bit.
func TestGradBackpropIsExact(t *testing.T) {
	dir := t.TempDir()
	batch := writeBatch(t, dir)
	state := filepath.Join(dir, "state.npz")
	g := runGrad(t, "-model", "resnet18", "-width", "2", "-rule", "fa", "-batch", batch, "-out", filepath.Join(dir, "fa.npz"), "-save-state", state)
	bp := runGrad(t, "-model", "resnet18", "-width", "2", "-rule", "bp", "-batch", batch, "-out", filepath.Join(dir, "bp.npz"), "-state", state)

	net := tinyNet(t, "resnet18")
	if err := checkpoint.Load(state, net); err != nil {
		t.Fatal(err)
	}
	arrays, _ := npz.Read(batch)
	labels, _ := arrays["y"].Labels()
	layers := nn.UntiedLayers(net)
	exact := make([][]float32, len(layers))
	train.New(net, nil).StepWithReference(tensor.FromData(arrays["x"].Data, 2, 1, 28, 28), labels, exact)
	for i, l := range layers {
		w, _ := l.Weights()
		name := gradName(w.Name)
		if !equal(bp[name].Data, exact[i]) {
			t.Errorf("bp %s differs from the exact backprop gradient", name)
		}
		if !equal(g[name].Data, w.Grad.Data) {
			t.Errorf("fa %s differs from the trainer's feedback-alignment gradient", name)
		}
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestGradKolenPollack checks the reference coefficients: under kp,
// dB = dW + 2·α·B with α = 1e-3 (Scale 1), and with -align-scale 10 the
// decay is ten times larger.
func TestGradKolenPollack(t *testing.T) {
	dir := t.TempDir()
	batch := writeBatch(t, dir)
	state := filepath.Join(dir, "state.npz")
	for _, scale := range []string{"0", "10"} {
		g := runGrad(t, "-model", "lenet", "-rule", "kp", "-align-scale", scale, "-batch", batch, "-out", filepath.Join(dir, "kp.npz"), "-save-state", state)
		s, _ := npz.Read(state)
		alpha := 1e-3
		if scale == "10" {
			alpha = 1e-2
		}
		for _, l := range []string{"conv1", "fc2"} {
			dW, dB, B := g[l+".dW"].Data, g[l+".dB"].Data, s[l+".B"].Data
			for i := range dB {
				want := float64(dW[i]) + 2*alpha*float64(B[i])
				if math.Abs(float64(dB[i])-want) > 1e-6*(math.Abs(want)+1e-3) {
					t.Fatalf("scale %s: %s.dB[%d] = %v, want dW + 2αB = %v", scale, l, i, dB[i], want)
				}
			}
		}
	}
}

func TestGradErrors(t *testing.T) {
	dir := t.TempDir()
	batch := writeBatch(t, dir)
	out := filepath.Join(dir, "g.npz")
	usage := [][]string{
		{"-batch", batch},
		{"-out", out},
		{"-batch", batch, "-out", out, "-model", "alexnet"},
		{"-batch", batch, "-out", out, "-rule", "hebb"},
		{"-batch", batch, "-out", out, "-align", "decay=x"},
		{"-batch", batch, "-out", out, "-rule", "fa", "-align", "decay=1"},
		{"-batch", batch, "-out", out, "-classes", "1"},
		{"-batch", batch, "-out", out, "-width", "-1"},
		{"-batch", batch, "-out", out, "-align-scale", "-1"},
		{"-batch", batch, "-out", out, "stray"},
		{"-batch", batch, "-out", out, "-seed", "one"},
	}
	for _, args := range usage {
		var o, e bytes.Buffer
		if code := mainErr(append([]string{"grad"}, args...), &o, &e); code != 2 {
			t.Errorf("untied grad %v exited %d, want 2 (stderr %q)", args, code, e.String())
		}
	}

	write := func(name string, arrays map[string]npz.Array) string {
		p := filepath.Join(dir, name)
		if err := npz.Write(p, arrays); err != nil {
			t.Fatal(err)
		}
		return p
	}
	x := npz.Array{Shape: []int{2, 1, 28, 28}, Data: make([]float32, 2*28*28)}
	notZip := filepath.Join(dir, "text.npz")
	os.WriteFile(notZip, []byte("not a zip"), 0o644)
	wrongWidth := filepath.Join(dir, "w4.npz")
	if code := mainErr([]string{"grad", "-model", "resnet18", "-width", "4", "-batch", batch, "-out", out, "-save-state", wrongWidth}, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
		t.Fatal("could not write a width-4 state")
	}
	files := []struct {
		args []string
		want string
	}{
		{[]string{"-batch", notZip}, "not a zip"},
		{[]string{"-batch", filepath.Join(dir, "missing.npz")}, "missing.npz"},
		{[]string{"-batch", write("noy.npz", map[string]npz.Array{"x": x})}, "no array y"},
		{[]string{"-batch", write("fy.npz", map[string]npz.Array{"x": x, "y": {Shape: []int{2}, Data: []float32{1, 2}}})}, "want integer labels"},
		{[]string{"-batch", write("y3.npz", map[string]npz.Array{"x": x, "y": {Shape: []int{3}, Ints: []int64{1, 2, 3}}})}, "want [2]"},
		{[]string{"-batch", write("y10.npz", map[string]npz.Array{"x": x, "y": {Shape: []int{2}, Ints: []int64{1, 10}}})}, "y[1] = 10"},
		{[]string{"-batch", write("x3.npz", map[string]npz.Array{"x": {Shape: []int{2, 784}, Data: x.Data}, "y": {Shape: []int{2}, Ints: []int64{1, 2}}})}, "want [N, C, H, W]"},
		{[]string{"-batch", batch, "-model", "resnet18", "-width", "2", "-state", wrongWidth}, "layer1.0.conv1.W has shape [4 4 3 3]"},
		{[]string{"-batch", batch, "-state", notZip}, "not a zip"},
	}
	for _, c := range files {
		var o, e bytes.Buffer
		args := append([]string{"grad", "-out", out}, c.args...)
		if code := mainErr(args, &o, &e); code != 1 || !strings.Contains(e.String(), c.want) {
			t.Errorf("untied %v exited %d with %q, want 1 and %q", args, code, e.String(), c.want)
		}
	}
}

// TestGradDocumented checks that docs/checkpoints.md names every kind of
// array the command writes.
func TestGradDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/checkpoints.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"`loss`", "`logits`", "`<layer>.dy`", "`<layer>.dx`", "`<layer>.dW`", "`<layer>.dB`",
		"`<layer>.dbias`", "`<bn>.dgamma`", "`<bn>.running_mean`", "`opt.<i>.step`", "`opt.<i>.velocity.<param>`", "`opt.<i>.noise`"} {
		if !bytes.Contains(doc, []byte(name)) {
			t.Errorf("docs/checkpoints.md does not mention %s", name)
		}
	}
}

// TestGradEveryRule runs untied grad for every preset on a ResNet (conv,
// dense and BatchNorm layers): each writes finite gradients for every
// parameter, and those of W equal the trainer's own step's (the same
// code computes both).
func TestGradEveryRule(t *testing.T) {
	dir := t.TempDir()
	batch := writeBatch(t, dir)
	arrays, _ := npz.Read(batch)
	labels, _ := arrays["y"].Labels()
	for _, rule := range align.Presets() {
		out := filepath.Join(dir, rule+".npz")
		g := runGrad(t, "-model", "resnet18", "-width", "2", "-rule", rule, "-seed", "2", "-batch", batch, "-out", out)
		spec, err := gradSpec(gradConfig{Rule: rule})
		if err != nil {
			t.Fatal(err)
		}
		// The network of -seed 2: tinyNet's seed is 1.
		net2, err := model.New(model.Config{Arch: "resnet18", Width: 2, Classes: 10, InChannels: 1, InputSize: 28, SmallStem: true, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		r, err := align.New(spec, nn.UntiedLayers(net2), 0, 2)
		if err != nil {
			t.Fatal(err)
		}
		train.New(net2, r).Gradients(tensor.FromData(arrays["x"].Data, 2, 1, 28, 28), labels)
		for _, p := range net2.Params() {
			a, ok := g[gradName(p.Name)]
			if !ok {
				t.Errorf("%s: no %s", rule, gradName(p.Name))
				continue
			}
			for _, v := range a.Data {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Errorf("%s: %s holds %v", rule, gradName(p.Name), v)
					break
				}
			}
			if !equal(a.Data, p.Grad.Data) {
				t.Errorf("%s: %s differs from the trainer's gradient", rule, gradName(p.Name))
			}
		}
	}
}
