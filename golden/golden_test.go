package golden

// Layer 3, golden files: small fixed-seed networks on the feedback route
// with B ≠ W, one forward/backward pass of the mean cross-entropy; the
// loss, the input-gradient norm and summary statistics of every parameter
// gradient are compared with testdata/networks.json.
//
// Regenerate with `go test ./golden/ -run Golden -update` (make
// golden-update), review the diff, never edit the file by hand.

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/core/tensor"
)

var update = flag.Bool("update", false, "rewrite golden/testdata from the current code instead of comparing with it")

const goldenFile = "testdata/networks.json"

// goldenRtol is the tolerance of every stored value, relative to its scale
// (below). The file records the float32 path of one machine; another
// machine may run other gemm kernels (generic, AVX2/FMA, NEON) and split
// the conv filter gradient over another number of workers, so sums are
// reordered and every value may move by rounding. Each layer adds at most
// γ_k relative to its Σ|terms|, k ≤ 3·3·32 = 288 at these widths, so about
// 1.7e-5; the longest chain here is about 40 layers forward and back, so
// the first-order worst case is about 7e-4 of a value's scale. We take
// 1e-3. (A ReLU or max-pool decision can flip under such a change only for
// an input within that much of a kink; none is, for these seeds.)
const goldenRtol = 1e-3

var goldenNets = []struct {
	Name  string
	Cfg   model.Config
	Batch int
}{
	{"lenet", model.Config{Arch: "lenet", Classes: 10, InChannels: 1, InputSize: 28, Seed: 11}, 2},
	{"resnet18-w4-smallstem", model.Config{Arch: "resnet18", Width: 4, Classes: 10, InChannels: 1, InputSize: 28, SmallStem: true, Seed: 12}, 2},
}

// goldenRecord is what the file stores for one network.
type goldenRecord struct {
	Name          string
	Config        model.Config
	Batch         int
	Route         string
	Loss          float64
	InputGradNorm float64
	Params        []paramStats // every parameter but the feedback weights, whose gradient must be 0
}

// paramStats summarises one parameter's gradient g.
type paramStats struct {
	Name    string
	Shape   []int
	Sum     float64 // Σ g
	SumAbs  float64 // Σ |g|
	SumSq   float64 // Σ g²
	Samples []sample
}

// sample is one entry of a gradient: the first, those at a third and two
// thirds of the way, and the last.
type sample struct {
	Index int
	Value float64
}

func record(t *testing.T, name string, cfg model.Config, n int) goldenRecord {
	m := newNet(t, cfg)
	nn.SetRoute(m, nn.FeedbackRoute)
	x, labels := batch(newRand(cfg.Seed), cfg, n)
	loss, dx := step(m, x, labels)
	rec := goldenRecord{Name: name, Config: cfg, Batch: n, Route: nn.FeedbackRoute.String(), Loss: loss, InputGradNorm: tensor.Norm(dx.Data[:dx.Len()])}
	for _, p := range m.Params() {
		if p.Kind == nn.Feedback {
			checkZero(t, name+": "+p.Name+" gradient", p.Grad.Data)
			continue
		}
		g := p.Grad.Data[:p.Grad.Len()]
		s := paramStats{Name: p.Name, Shape: append([]int(nil), p.Grad.Shape...)}
		for _, v := range g {
			s.Sum += float64(v)
			s.SumAbs += math.Abs(float64(v))
			s.SumSq += float64(v) * float64(v)
		}
		for _, i := range []int{0, len(g) / 3, 2 * len(g) / 3, len(g) - 1} {
			s.Samples = append(s.Samples, sample{i, float64(g[i])})
		}
		rec.Params = append(rec.Params, s)
	}
	return rec
}

// normalise divides every value of r by its scale, taken from want: the
// loss and the norm by themselves, a parameter's sums by Σ|g| (Σg² by
// itself), a sample by |sample| + the gradient's RMS. Comparing normalised
// records with an absolute margin is a relative tolerance that does not
// collapse when a sum cancels or a sampled entry is near 0. A zero scale
// (an all-zero gradient) is replaced by the smallest normal float64, which
// demands zero.
func normalise(r, want goldenRecord) goldenRecord {
	div := func(v, s float64) float64 { return v / max(math.Abs(s), 0x1p-1022) }
	out := r
	out.Loss, out.InputGradNorm = div(r.Loss, want.Loss), div(r.InputGradNorm, want.InputGradNorm)
	out.Params = make([]paramStats, len(r.Params))
	for i, p := range r.Params {
		q := p
		if i < len(want.Params) {
			w := want.Params[i]
			q.Sum, q.SumAbs, q.SumSq = div(p.Sum, w.SumAbs), div(p.SumAbs, w.SumAbs), div(p.SumSq, w.SumSq)
			vol := 1
			for _, d := range w.Shape {
				vol *= d
			}
			rms := math.Sqrt(w.SumSq / float64(vol))
			q.Samples = make([]sample, len(p.Samples))
			for j, s := range p.Samples {
				q.Samples[j] = s
				if j < len(w.Samples) {
					q.Samples[j].Value = div(s.Value, math.Abs(w.Samples[j].Value)+rms)
				}
			}
		}
		out.Params[i] = q
	}
	return out
}

func TestGoldenNetworks(t *testing.T) {
	var got []goldenRecord
	for _, c := range goldenNets {
		got = append(got, record(t, c.Name, c.Cfg, c.Batch))
	}
	if *update {
		data, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(goldenFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenFile, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", goldenFile)
		return
	}
	data, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("%v (run `make golden-update` to create it)", err)
	}
	var want []goldenRecord
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("%s: %v", goldenFile, err)
	}
	if len(want) != len(got) {
		t.Fatalf("%s holds %d networks, the test builds %d; run make golden-update", goldenFile, len(want), len(got))
	}
	for i := range got {
		w, g := normalise(want[i], want[i]), normalise(got[i], want[i])
		if diff := cmp.Diff(w, g, cmpopts.EquateApprox(0, goldenRtol)); diff != "" {
			t.Errorf("%s: gradients differ from %s beyond %g of their scale (-want +got, values divided by their scale):\n%s",
				got[i].Name, goldenFile, goldenRtol, diff)
		}
	}
}
