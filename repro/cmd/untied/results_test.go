package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestSmokeLeavesQuickResults runs the smoke table into a results
// directory that holds quick results: they stay byte for byte, and the
// smoke table lands beside them, in its profile's own directory.
func TestSmokeLeavesQuickResults(t *testing.T) {
	base := t.TempDir()
	results := filepath.Join(base, "results")
	quick := map[string][]byte{
		"table1/quick/table1.md":                 []byte("# the committed quick table\n"),
		"table1/quick/table1.csv":                []byte("rule,model\nbp,resnet18\n"),
		"table1/quick/table1-resnet18-top1.png":  {0x89, 'P', 'N', 'G'},
		"table1/quick/table1-resnet18-curve.svg": []byte("<svg></svg>"),
	}
	for name, b := range quick {
		path := filepath.Join(results, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	args := []string{"sweep", "-experiment", "table1", "-profile", "smoke", "-runs", filepath.Join(base, "runs"), "-results", results, "-quiet"}
	if code := mainErr(args, &out, &errb); code != 0 {
		t.Fatalf("untied %v exited %d:\n%s", args, code, errb.String())
	}
	for name, want := range quick {
		if got, err := os.ReadFile(filepath.Join(results, name)); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s after a smoke sweep: %q, %v; want it unchanged, %q", name, got, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(results, "table1", "smoke", "table1.md")); err != nil {
		t.Errorf("the smoke table: %v", err)
	}
}

// TestTableWithoutRuns checks `untied table` in a fresh clone (no runs)
// says what is missing and which command makes it, instead of failing on
// a missing directory.
func TestTableWithoutRuns(t *testing.T) {
	base := t.TempDir()
	var out, errb bytes.Buffer
	args := []string{"table", "-experiment", "table1", "-profile", "smoke", "-runs", filepath.Join(base, "runs"), "-results", filepath.Join(base, "results")}
	if code := mainErr(args, &out, &errb); code != 1 || !bytes.Contains(errb.Bytes(), []byte("make repro-table1 PROFILE=smoke")) {
		t.Errorf("untied %v exited %d:\n%s\nwant 1 and the command that makes the runs", args, code, errb.String())
	}
}
