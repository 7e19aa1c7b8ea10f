package table

import (
	"testing"

	"github.com/untied-ml/untied/repro/result"
)

// TestAlignmentNamesInput: the alignment column names the loss's input as
// the run recorded it, with its samples a step.
func TestAlignmentNamesInput(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "amp=0.002 on the data",
		"data":                  "amp=0.002 on the data",
		"data, 16 a step":       "amp=0.002 on the data, 16 a step",
		"normal σ=1":            "amp=0.002 on noise (normal σ=1)",
		"normal σ=1, 32 a step": "amp=0.002 on noise (normal σ=1, 32 a step)",
	} {
		if got := alignment(result.Config{AlignTerms: "amp=0.002", AlignInput: in}); got != want {
			t.Errorf("input %q: %q, want %q", in, got, want)
		}
	}
}
