package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestBadFlagsAreUsageErrors(t *testing.T) {
	cases := [][]string{
		{},
		{"fly"},
		{"train", "-epochs", "two"},
		{"train", "-model", "alexnet"},
		{"train", "-rule", "hebb"},
		{"train", "-batch", "0"},
		{"train", "stray"},
	}
	for _, args := range cases {
		var out, errb bytes.Buffer
		if code := mainErr(args, &out, &errb); code != 2 {
			t.Errorf("untied %v exited %d, want 2 (stderr %q)", args, code, errb.String())
		}
		if errb.Len() == 0 {
			t.Errorf("untied %v printed no usage", args)
		}
	}
}

func TestTrainSynthetic(t *testing.T) {
	var out, errb bytes.Buffer
	dir := t.TempDir()
	code := mainErr([]string{"train", "-data", "synthetic", "-model", "lenet", "-epochs", "1", "-batch", "64", "-quiet", "-out", dir}, &out, &errb)
	if code != 0 {
		t.Fatalf("untied train exited %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "result.json") {
		t.Errorf("output %q does not say where the result went", out.String())
	}
}
