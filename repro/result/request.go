package result

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/untied-ml/untied/core/align"
)

// Inert returns c with the fields zeroed that cannot change what a run
// computes, so two configurations equal under Inert give the same result
// and metrics:
//   - Out and DataDir: where the run writes and reads;
//   - Threads: results never depend on the thread count;
//   - CheckpointEvery: a resumed run equals an uninterrupted one
//     (TestInterruptedRunResumesExactly);
//   - LRHalved: a record of how LR came about;
//   - NoiseSite and NoiseDist without update noise (NoiseVar 0), and
//     AlignInputDist without input noise (AlignInputNoise 0);
//   - every alignment field under a rule that does not train B, which
//     withRule clears or never reads.
//
// MetricsEvery stays: it sets what metrics.jsonl (the curves) holds.
func Inert(c Config) Config {
	c.Out, c.DataDir, c.Threads, c.CheckpointEvery, c.LRHalved = "", "", 0, 0, 0
	if c.NoiseVar == 0 {
		c.NoiseSite, c.NoiseDist = "", ""
	}
	if c.AlignInputNoise == 0 {
		c.AlignInputDist = ""
	}
	if !trainsB(c.Rule) {
		c.AlignTime, c.AlignScale, c.AlignLR, c.AlignNorm, c.AlignCenter, c.AlignWarmup = 0, 0, 0, false, false, 0
		c.AlignTau, c.AlignTerms, c.AlignInputNoise, c.AlignInputDist, c.AlignInput, c.AlignInputBatch = 0, "", 0, "", "", 0
	}
	return c
}

// Significant reduces a configuration as requested (before Run derives
// anything) to what can change its result: Inert, and without the fields
// Run sets whatever was asked (SmallStem from the image size, AlignTau,
// AlignTerms and AlignInput from the rule). Requests equal under Significant give the same
// result. It is conservative: a request that names the scale Run would
// have derived from AlignScale 0 still differs from the one that did not.
func Significant(c Config) Config {
	c = Inert(c)
	c.SmallStem, c.AlignTau, c.AlignTerms, c.AlignInput = false, 0, "", ""
	return c
}

// trainsB reports whether rule trains B (an unknown rule counts as one that
// does, so none of its fields are ignored).
func trainsB(rule string) bool {
	spec, err := align.Preset(rule)
	return err != nil || spec.TrainB
}

// Differences lists the fields in which a and b differ under norm (Inert or
// Significant), one per line as "json_name: a → b" in the order of Config,
// with the values as given. A field norm zeroes on one side only (NoiseSite
// when just one has noise) is listed only if its values differ as given:
// the field that decided the zeroing is listed anyway.
func Differences(a, b Config, norm func(Config) Config) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	na, nb := reflect.ValueOf(norm(a)), reflect.ValueOf(norm(b))
	var out []string
	for i := range va.NumField() {
		fa, fb := va.Field(i), vb.Field(i)
		if fa.Equal(fb) || na.Field(i).Equal(nb.Field(i)) {
			continue
		}
		f := va.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		format := "%v"
		if f.Type.Kind() == reflect.String {
			format = "%q"
		}
		out = append(out, fmt.Sprintf("%s: "+format+" → "+format, name, fa.Interface(), fb.Interface()))
	}
	return out
}
