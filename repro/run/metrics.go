package run

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/untied-ml/untied/core/align"
	"github.com/untied-ml/untied/core/metric"
	"github.com/untied-ml/untied/core/nn"
	"github.com/untied-ml/untied/repro/result"
)

// Measurement is one line of metrics.jsonl: the alignment of every untied
// layer after a step, with the exact backprop gradient of the same batch as
// the reference of the global gradient angle.
type Measurement struct {
	Step            int            `json:"step"` // steps taken, this one included
	Epoch           int            `json:"epoch"`
	Loss            float64        `json:"loss"`
	MeanWeightAngle float64        `json:"mean_weight_angle"`
	AlignLoss       []float64      `json:"align_loss,omitempty"` // the rule's R per layer, before the update
	Layers          []metric.Layer `json:"layers"`
}

// errNonFinite says a measurement was not a number: the weights diverged.
var errNonFinite = errors.New("non-finite alignment metrics")

// metricsLog appends Measurements to DIR/metrics.jsonl.
type metricsLog struct {
	f      *os.File
	layers []nn.Untied
	exact  [][]float32
	meter  metric.Meter
	rule   *align.Rule
}

// openMetricsLog starts DIR/metrics.jsonl afresh, or, resuming from a
// checkpoint at step, keeps the lines up to that step (later ones were
// measured after the checkpoint and will be measured again) and appends.
func openMetricsLog(path string, net nn.Module, rule *align.Rule, step int, resuming bool) (*metricsLog, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if resuming {
		if err := trimMetrics(path, step); err != nil {
			return nil, err
		}
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	layers := nn.UntiedLayers(net)
	return &metricsLog{f: f, layers: layers, exact: make([][]float32, len(layers)), rule: rule}, nil
}

// trimMetrics drops the lines of a metrics file measured after step.
func trimMetrics(path string, step int) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	var keep []byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		var m struct{ Step int }
		if json.Unmarshal(line, &m) == nil && m.Step <= step {
			keep = append(keep, line...)
		}
	}
	return result.WriteFile(path, keep)
}

// write measures the layers after the step that filled m.exact and appends
// one line.
func (m *metricsLog) write(step, epoch int, loss float64) error {
	rec := Measurement{Step: step, Epoch: epoch, Loss: loss, Layers: m.meter.Measure(m.layers, m.exact)}
	for _, l := range rec.Layers {
		rec.MeanWeightAngle += l.WeightAngle / float64(len(rec.Layers))
	}
	if m.rule != nil && m.rule.Spec().TrainB {
		rec.AlignLoss = m.rule.Loss()
	}
	b, err := json.Marshal(rec)
	var unsupported *json.UnsupportedValueError
	if errors.As(err, &unsupported) {
		return errNonFinite // weights of Inf or NaN
	}
	if err != nil {
		return fmt.Errorf("run: metrics: %w", err)
	}
	if _, err := m.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	return nil
}

func (m *metricsLog) Close() error { return m.f.Close() }
