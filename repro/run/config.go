package run

import (
	"fmt"
	"slices"
	"strings"

	"github.com/untied-ml/untied/core/model"
)

// Config is everything that determines a run. It is recorded in full in
// result.json.
type Config struct {
	Data         string  `json:"data"`     // fashion-mnist, mnist, or synthetic (tests)
	DataDir      string  `json:"data_dir"` // "" = the data set's default location
	Model        string  `json:"model"`
	Width        int     `json:"width"` // 0 = the published width
	SmallStem    bool    `json:"small_stem"`
	Rule         string  `json:"rule"`
	Epochs       int     `json:"epochs"`
	Batch        int     `json:"batch"`
	LR           float64 `json:"lr"`
	Schedule     string  `json:"schedule"` // cosine, step, constant
	WarmupEpochs float64 `json:"warmup_epochs"`
	Momentum     float64 `json:"momentum"`
	Nesterov     bool    `json:"nesterov"`
	WeightDecay  float64 `json:"weight_decay"`
	Augment      bool    `json:"augment"`               // random crop (pad 2) and flip
	TrainLimit   int     `json:"train_limit,omitempty"` // use only the first N training images (0 = all)
	Seed         uint64  `json:"seed"`
	Threads      int     `json:"threads"` // GOMAXPROCS during the run
	Out          string  `json:"out"`
}

// Defaults returns the configuration the train command starts from: SGD
// with Nesterov momentum 0.9, lr 0.05 on a cosine schedule, batch 128,
// weight decay 1e-4 on W.
func Defaults() Config {
	return Config{Data: "fashion-mnist", Model: "lenet", Rule: "bp", Epochs: 2, Batch: 128,
		LR: 0.05, Schedule: "cosine", Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4, Seed: 1}
}

// Rules lists the learning rules this build knows.
func Rules() []string { return []string{"bp", "fa"} }

var schedules = []string{"cosine", "step", "constant"}

// Validate reports the first bad field, naming it and what was expected.
func (c *Config) Validate() error {
	bad := func(field string, got any, want string) error {
		return fmt.Errorf("run: -%s %v: want %s", field, got, want)
	}
	datasets := []string{"fashion-mnist", "mnist", "synthetic"}
	switch {
	case !slices.Contains(datasets, c.Data):
		return bad("data", c.Data, "one of "+strings.Join(datasets, ", "))
	case !slices.Contains(model.Archs(), c.Model):
		return bad("model", c.Model, "one of "+strings.Join(model.Archs(), ", "))
	case c.Width < 0:
		return bad("width", c.Width, "≥ 0 (0 = the published width)")
	case !slices.Contains(Rules(), c.Rule):
		return bad("rule", c.Rule, "one of "+strings.Join(Rules(), ", "))
	case c.Epochs < 1:
		return bad("epochs", c.Epochs, "≥ 1")
	case c.Batch < 1:
		return bad("batch", c.Batch, "≥ 1")
	case !(c.LR > 0):
		return bad("lr", c.LR, "> 0")
	case !slices.Contains(schedules, c.Schedule):
		return bad("schedule", c.Schedule, "one of "+strings.Join(schedules, ", "))
	case c.WarmupEpochs < 0 || c.WarmupEpochs >= float64(c.Epochs):
		return bad("warmup", c.WarmupEpochs, fmt.Sprintf("in [0, %d) epochs", c.Epochs))
	case c.Momentum < 0 || c.Momentum >= 1:
		return bad("momentum", c.Momentum, "in [0, 1)")
	case c.WeightDecay < 0:
		return bad("wd", c.WeightDecay, "≥ 0")
	case c.TrainLimit < 0:
		return bad("train-limit", c.TrainLimit, "≥ 0")
	case c.Threads < 0:
		return bad("threads", c.Threads, "≥ 0 (0 = all cores)")
	case c.Out == "":
		return bad("out", `""`, "a directory")
	}
	return nil
}
