package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/untied-ml/untied/core/align"
	"github.com/untied-ml/untied/repro/result"
)

// snapshot reads every file in the directories of cells.
func snapshot(t *testing.T, cells ...Cell) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, c := range cells {
		entries, err := os.ReadDir(c.Config.Out)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			path := filepath.Join(c.Config.Out, e.Name())
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			files[path] = b
		}
	}
	return files
}

// unchanged fails the test if any file of before changed or vanished, or a
// file appeared beside them.
func unchanged(t *testing.T, what string, before map[string][]byte, cells ...Cell) {
	t.Helper()
	after := snapshot(t, cells...)
	for path, b := range before {
		if a, ok := after[path]; !ok {
			t.Errorf("%s: %s deleted", what, path)
		} else if !bytes.Equal(a, b) {
			t.Errorf("%s: %s modified", what, path)
		}
	}
	for path := range after {
		if _, ok := before[path]; !ok {
			t.Errorf("%s: %s written", what, path)
		}
	}
}

// smokeWith expands table1's smoke profile under root with one more
// profile field set, as when a researcher edits the experiment file.
func smokeWith(t *testing.T, root, field string, value any) []Cell {
	t.Helper()
	e := load(t, "table1")
	var fields map[string]any
	if err := json.Unmarshal(e.Profiles["smoke"], &fields); err != nil {
		t.Fatal(err)
	}
	fields[field] = value
	raw, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	edited := *e
	edited.Profiles = map[string]json.RawMessage{"smoke": raw}
	cells, err := Cells(&edited, "smoke", root)
	if err != nil {
		t.Fatal(err)
	}
	return cells
}

// pick returns the first cell of cells whose rule trains B (trainsB) or
// does not.
func pick(t *testing.T, cells []Cell, trainsB bool) int {
	t.Helper()
	for i, c := range cells {
		if spec, err := align.Preset(c.Rule); err == nil && spec.TrainB == trainsB {
			return i
		}
	}
	t.Fatalf("the smoke profile has no rule with TrainB %v", trainsB)
	return -1
}

// TestEditedExperimentMakesCellsStale runs a cell whose rule trains B and
// one whose rule does not, then edits the profile's align_time_fraction:
// the first is stale and refused, with or without -keep-going, the second
// (which ignores the field) is still finished, and no file changes.
func TestEditedExperimentMakesCellsStale(t *testing.T) {
	root := t.TempDir()
	cells, err := Cells(load(t, "table1"), "smoke", root)
	if err != nil {
		t.Fatal(err)
	}
	trained, fixed := pick(t, cells, true), pick(t, cells, false)
	ran := []Cell{cells[trained], cells[fixed]}
	if err := Run(ran, Options{}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, ran...)

	// Unchanged: both finished, skipped, untouched.
	for _, c := range ran {
		if s := StatusOf(c); s != Finished {
			t.Errorf("StatusOf(%s) = %v after its run, want finished", c.ID(), s)
		}
	}
	if err := Run(ran, Options{}); err != nil {
		t.Errorf("Run of the unchanged finished cells = %v, want nil", err)
	}
	unchanged(t, "second run of the same experiment", before, ran...)

	// Edited: align_time_fraction changes what the B-training rule computes.
	was, now := cells[trained].Config.AlignTime, 0.0025
	if was == now {
		now = 0.005
	}
	edited := smokeWith(t, root, "align_time_fraction", now)
	stale, same := edited[trained], edited[fixed]
	if s := StatusOf(stale); s != Stale {
		t.Errorf("StatusOf(%s) with align_time_fraction %v → %v = %v, want stale", stale.ID(), was, now, s)
	}
	if s := StatusOf(same); s != Finished {
		t.Errorf("StatusOf(%s) = %v, want finished (rule %s does not train B: align_time_fraction cannot change it)", same.ID(), s, same.Rule)
	}
	wantField := fmt.Sprintf("align_time_fraction: %v → %v", was, now)
	var se *StaleError
	if err := StaleCells(ran); err != nil {
		t.Errorf("StaleCells of the experiment the results came from = %v, want nil", err)
	}
	if err := StaleCells([]Cell{stale, same}); !errors.As(err, &se) || se.Cell.ID() != stale.ID() || !strings.Contains(err.Error(), wantField) {
		t.Errorf("StaleCells after the edit = %v, want the stale cell %s naming %q", err, stale.ID(), wantField)
	}
	err = Run([]Cell{stale, same}, Options{})
	if !errors.As(err, &se) {
		t.Fatalf("Run with a stale cell = %v, want a *StaleError", err)
	}
	for _, want := range []string{stale.ID(), stale.Config.Out, wantField, "move or delete"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Run error %q does not name %q", err, want)
		}
	}
	if strings.Contains(err.Error(), same.ID()) {
		t.Errorf("Run error %q names the cell %s, which is not stale", err, same.ID())
	}
	unchanged(t, "refused sweep", before, ran...)

	// With KeepGoing the stale cell is skipped, the others run, and it is
	// reported at the end.
	var pending Cell
	for i, c := range edited {
		if i != trained && i != fixed {
			pending = c
			break
		}
	}
	err = Run([]Cell{stale, pending, same}, Options{KeepGoing: true})
	if !errors.As(err, &se) || se.Cell.ID() != stale.ID() {
		t.Errorf("Run with KeepGoing = %v, want the stale cell %s reported", err, stale.ID())
	}
	if s := StatusOf(pending); s != Finished {
		t.Errorf("StatusOf(%s) = %v after a KeepGoing sweep, want it run to the end", pending.ID(), s)
	}
	unchanged(t, "KeepGoing sweep", before, ran...)

	// An unfinished run of the old configuration is not resumed under the
	// new one either.
	path := filepath.Join(stale.Config.Out, "result.json")
	partial := bytes.Replace(before[path], []byte(`"finished": true`), []byte(`"finished": false`), 1)
	if err := os.WriteFile(path, partial, 0o644); err != nil {
		t.Fatal(err)
	}
	before[path] = partial
	if s := StatusOf(stale); s != Stale {
		t.Errorf("StatusOf(partial %s) with another align_time_fraction = %v, want stale", stale.ID(), s)
	}
	err = Run([]Cell{stale}, Options{})
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "unfinished") || !strings.Contains(err.Error(), wantField) {
		t.Errorf("Run resuming a partial cell of another configuration = %v, want a *StaleError naming %q", err, wantField)
	}
	unchanged(t, "refused resume", before, ran...)
}

// TestResultsWithoutRequestAreFinished: a result written before requests
// were recorded cannot be checked, so it counts as finished even when the
// experiment changed, and is left alone.
func TestResultsWithoutRequestAreFinished(t *testing.T) {
	root := t.TempDir()
	cells, err := Cells(load(t, "table1"), "smoke", root)
	if err != nil {
		t.Fatal(err)
	}
	c := cells[pick(t, cells, true)]
	if err := Run([]Cell{c}, Options{}); err != nil {
		t.Fatal(err)
	}
	// Rewrite result.json as an older version wrote it.
	path := filepath.Join(c.Config.Out, "result.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	if _, ok := fields["requested_config"]; !ok {
		t.Fatalf("%s has no requested_config", path)
	}
	delete(fields, "requested_config")
	if b, err = json.MarshalIndent(fields, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if r, err := result.Read(path); err != nil || r.RequestedConfig != nil {
		t.Fatalf("ReadResult(old result) = %v, %v; want no requested config", r, err)
	}
	before := snapshot(t, c)

	edited := smokeWith(t, root, "epochs", c.Config.Epochs+1)
	var old Cell
	for _, e := range edited {
		if e.ID() == c.ID() {
			old = e
		}
	}
	if s := StatusOf(old); s != Finished {
		t.Errorf("StatusOf(old result, edited experiment) = %v, want finished (nothing to check against)", s)
	}
	if err := Run([]Cell{old}, Options{}); err != nil {
		t.Errorf("Run of an old finished result = %v, want nil", err)
	}
	unchanged(t, "sweep over an old result", before, c)
}

// TestFailedCell: a cell whose run fails (here: no CIFAR-10 where it is
// told to look) is recorded as failed with its error, never as finished;
// the next sweep runs it again, and a finished run clears the record.
func TestFailedCell(t *testing.T) {
	root := t.TempDir()
	cells := smokeWith(t, root, "data", "cifar10")[:1]
	cells[0].Config.DataDir = filepath.Join(root, "no-cifar")
	if err := Run(cells, Options{}); err == nil {
		t.Fatal("a cell without its data ran")
	}
	if s := StatusOf(cells[0]); s != Failed {
		t.Errorf("status %v, want failed", s)
	}
	if msg := FailureOf(cells[0]); !strings.Contains(msg, "cifar10") {
		t.Errorf("recorded failure %q does not say what failed", msg)
	}
	if todo, _, err := Plan(cells, false, io.Discard); err != nil || len(todo) != 1 {
		t.Errorf("Plan after a failure: %v, %v; want the cell to run again", todo, err)
	}
	cells[0].Config.Data, cells[0].Config.DataDir = "synthetic", ""
	if err := Run(cells, Options{}); err != nil {
		t.Fatal(err)
	}
	if s, msg := StatusOf(cells[0]), FailureOf(cells[0]); s != Finished || msg != "" {
		t.Errorf("after a finished run: status %v, failure %q", s, msg)
	}
}
