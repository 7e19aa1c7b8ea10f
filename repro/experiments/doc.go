// Package experiments is the registry of the sweeps the harness
// reproduces. Each experiment is one JSON file in this folder (embedded in
// the binary), which a user can copy, edit and pass by path instead of by
// name: its rules, models, seeds and settings, the paper's claim for each
// row, and per profile the run configuration (any result.Config field).
package experiments
