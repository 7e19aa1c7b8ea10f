package run

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/untied-ml/untied/core/data"
	"github.com/untied-ml/untied/core/model"
	"github.com/untied-ml/untied/core/tensor"
	"github.com/untied-ml/untied/repro/result"
)

// Memory is the estimate of a run's peak memory, in bytes, by part.
type Memory struct {
	Data  float64 // the data sets in memory, as float32
	Model float64 // what does not grow with the batch: W, B, their gradients and momenta, packed weights
	// Train is what a training batch adds (activations kept for the
	// backward pass, the engine's buffers), Eval what evaluating at the
	// larger evaluation batch adds beyond it.
	Train, Eval float64
	Base        float64 // the Go runtime and the program, with what the engine keeps for the process's life
}

// Total is the estimate's sum.
func (m Memory) Total() float64 { return m.Data + m.Model + m.Train + m.Eval + m.Base }

func (m Memory) String() string {
	gb := func(v float64) string { return strconv.FormatFloat(v/(1<<30), 'f', 2, 64) + " GiB" }
	return fmt.Sprintf("%s (data %s, model %s, training batch %s, evaluation %s)", gb(m.Total()), gb(m.Data), gb(m.Model), gb(m.Train), gb(m.Eval))
}

// runtimeBase is what the program and the Go runtime hold beside the heap
// the probes measure: a test binary of this package is 9.4 MB resident
// before it allocates (linux/amd64), and a run touches more of its code.
const runtimeBase = 12 << 20

// probeBatch1 is the smaller training batch of the probes (the other is
// twice it): large enough that the engine's per-batch buffers have their
// steady per-image size.
const probeBatch1 = 16

// EstimateMemory estimates the peak memory of a run of cfg without
// allocating it. The model's state, whose size is a quadratic in the width,
// is first extrapolated from its parameter counts at widths 1, 2 and 3 (so
// a width far too large is caught without building it). Then small probes
// at the run's width measure what the rule, optimizer and engine hold:
// two training steps at batches 16 and 32 give the per-image cost of a
// training batch and what does not grow with it; an evaluation at batch 32
// after steps at 16 gives the per-image cost of the forward buffers an
// evaluation batch larger than the training batch regrows (layers keep
// their buffers at the largest batch they saw, and the smaller ones stay
// until the collector frees them). The estimate is linear in the batches
// from there, plus the data sets and the program's own memory.
func EstimateMemory(cfg result.Config) (Memory, error) {
	var m Memory
	shape, ok := dataShapes[cfg.Data]
	if !ok {
		return m, fmt.Errorf("run: no memory estimate for -data %s", cfg.Data)
	}
	if cfg.Resize > 0 {
		shape.size = cfg.Resize
	}
	m.Base = runtimeBase
	m.Data = 4 * float64(shape.c*shape.size*shape.size) * float64(shape.train+shape.test)
	if cfg.Data == "imagenet" {
		m.Data = 0 // decoded a batch at a time
	}
	evalBatch := min(500, shape.test)
	if cfg.TestLimit > 0 {
		evalBatch = min(evalBatch, cfg.TestLimit)
	}
	if v := valCount(cfg.Val, shape.train); v > 0 {
		evalBatch = max(evalBatch, min(500, v))
	}
	width := model.Width(cfg.Model, cfg.Width)
	params, err := paramsAt(cfg, shape, width)
	if err != nil {
		return m, err
	}
	// W, B, their gradients and two momenta, in float32: a floor for Model.
	m.Model = 6 * 4 * params
	if avail, ok := availableMemory(); ok && m.Model > avail {
		return m, nil // far too large: say so without building it
	}
	const b1, b2 = probeBatch1, 2 * probeBatch1
	// The probes run on the run's threads: how many goroutines hold the
	// engine's buffers at once (each keeps its own for the process's life)
	// depends on it, and with more threads than the run a probe could add
	// one that the warm-up below did not, taking it for a batch's cost.
	// On one thread that cannot happen; on more it is still a matter of
	// scheduling, less likely once the warm-up has run on as many.
	if cfg.Threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cfg.Threads))
	}
	// A first probe, whose own memory is dropped, warms what the process
	// keeps for its whole life once a step has needed it (the GEMM's packing
	// buffers, the worker pool); left to the measured probes it would fall
	// into whichever ran first and be taken for a batch's cost. The heap
	// the process holds after it is the program's own.
	if _, err := probeHeap(cfg, shape, b2, b2); err != nil {
		return m, err
	}
	m.Base += heapAlloc()
	h1, err := probeHeap(cfg, shape, b1, 0)
	if err != nil {
		return m, err
	}
	h2, err := probeHeap(cfg, shape, b2, 0)
	if err != nil {
		return m, err
	}
	h12, err := probeHeap(cfg, shape, b1, b2)
	if err != nil {
		return m, err
	}
	perTrain := max(0, (h2-h1)/(b2-b1))
	perEval := max(0, (h12-h1)/(b2-b1))
	m.Model = max(m.Model, h1-b1*perTrain)
	m.Train = perTrain * float64(cfg.Batch)
	if evalBatch > cfg.Batch {
		// The evaluation regrows the forward buffers to its batch; until
		// the collector runs, the training-sized ones are still held.
		m.Eval = perEval * float64(evalBatch)
	}
	return m, nil
}

// dataShape is what a data set holds in memory.
type dataShape struct{ c, size, classes, train, test int }

var dataShapes = map[string]dataShape{
	"fashion-mnist": {1, 28, 10, 60000, 10000},
	"mnist":         {1, 28, 10, 60000, 10000},
	"cifar10":       {3, 32, 10, 50000, 10000},
	"imagenet":      {3, 224, 1000, 0, 500},
	"synthetic":     {1, 28, 10, 1024, 256},
}

// paramsAt is the model's parameter count at width w, from its counts at
// widths 1, 2 and 3 (a quadratic in the width: convolutions grow as its
// square, BatchNorm and the last layer linearly), so it is never built at w.
func paramsAt(cfg result.Config, s dataShape, w int) (float64, error) {
	count := func(w int) (float64, error) {
		net, err := model.New(model.Config{Arch: cfg.Model, Width: w, Classes: s.classes, InChannels: s.c,
			InputSize: s.size, SmallStem: s.size < 64, Seed: 1})
		if err != nil {
			return 0, fmt.Errorf("run: -model %s: %w", cfg.Model, err)
		}
		return float64(model.CountWeights(net)), nil
	}
	if w == 0 { // lenet: no width
		return count(0)
	}
	var p [3]float64
	for i := range p {
		var err error
		if p[i], err = count(i + 1); err != nil {
			return 0, err
		}
	}
	// Newton's form of the quadratic through (1, p0), (2, p1), (3, p2).
	d1, d2 := p[1]-p[0], (p[2]-2*p[1]+p[0])/2
	x := float64(w)
	return p[0] + d1*(x-1) + d2*(x-1)*(x-2), nil
}

// probeHeap builds cfg's model and trainer, takes two training steps on a
// batch of b synthetic images of the data's shape, then evaluates a batch
// of e (none for 0), and returns the bytes of heap all that holds.
func probeHeap(cfg result.Config, s dataShape, b, e int) (float64, error) {
	before := heapAlloc()
	net, err := model.New(model.Config{Arch: cfg.Model, Width: cfg.Width, Classes: s.classes, InChannels: s.c,
		InputSize: s.size, SmallStem: s.size < 64, Seed: 1})
	if err != nil {
		return 0, fmt.Errorf("run: -model %s: %w", cfg.Model, err)
	}
	// One short epoch at a constant rate: the run's own schedule (a
	// milestone or a warm-up of whole epochs) need not fit in it.
	probe := cfg
	probe.Epochs, probe.Out = 1, "probe"
	probe.Schedule, probe.WarmupEpochs = "constant", 0
	tr, _, err := NewTrainer(probe, net, 10)
	if err != nil {
		return 0, err
	}
	x, labels := probeBatch(s, b)
	tr.Step(x, labels) // the first step allocates the trainer's buffers,
	tr.Step(x, labels) // the second what the rules allocate once they have stepped
	if e > 0 {
		x, _ := probeBatch(s, e)
		net.Forward(x, false)
	}
	after := heapAlloc()
	runtime.KeepAlive(tr)
	runtime.KeepAlive(net)
	return after - before, nil
}

// heapAlloc is the bytes of heap in use after a collection.
func heapAlloc() float64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc)
}

func probeBatch(s dataShape, n int) (*tensor.Tensor, []int32) {
	ds := data.Synthetic(n, s.c, s.size, s.size, s.classes, 1)
	x := tensor.New(n, s.c, s.size, s.size)
	copy(x.Data, ds.Images)
	return x, ds.Labels
}

// availableMemory reads MemAvailable from /proc/meminfo (Linux), the
// memory a new program can take without swapping; false elsewhere.
func availableMemory() (float64, bool) {
	v := procField("/proc/meminfo", "MemAvailable:")
	return v, v > 0
}

// procField reads a "Name: N kB" line of a /proc file, in bytes; 0 if
// there is none.
func procField(path, name string) float64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// checkMemory refuses a run whose estimate exceeds the machine's
// available memory, before it allocates.
func checkMemory(cfg result.Config) error {
	avail, ok := availableMemory()
	if !ok || cfg.NoMemoryCheck {
		return nil
	}
	m, err := EstimateMemory(cfg)
	if err != nil {
		return err
	}
	if t := m.Total(); t > avail || math.IsInf(t, 0) || math.IsNaN(t) {
		return fmt.Errorf("run: this run needs about %v, more than the %.2f GiB this machine has available: lower -batch or -width (or pass -no-memory-check if you know better)",
			m, avail/(1<<30))
	}
	return nil
}
