package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/untied-ml/untied/repro/result"
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

// TestLeNetMNISTResizesByDefault: -model lenet-mnist, which takes 32×32
// inputs only, trains on 28×28 images without -resize.
func TestLeNetMNISTResizesByDefault(t *testing.T) {
	var out, errb bytes.Buffer
	dir := t.TempDir()
	args := []string{"train", "-data", "synthetic", "-model", "lenet-mnist", "-rule", "brsf", "-epochs", "1", "-train-limit", "128", "-quiet", "-out", dir}
	if code := mainErr(args, &out, &errb); code != 0 {
		t.Fatalf("untied %v exited %d: %s", args, code, errb.String())
	}
	r, err := result.Read(filepath.Join(dir, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Config.Resize != 32 {
		t.Errorf("run recorded at resize %d, want 32", r.Config.Resize)
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
