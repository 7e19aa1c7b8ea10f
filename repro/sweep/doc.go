// Package sweep expands an experiment into cells (rule × model × setting ×
// seed) and runs each as an independent run in its own directory. It skips
// finished cells, never overwrites a finished result, runs one slice of the
// cells when a sweep is split across machines, and reports overall
// progress with an ETA.
package sweep
