// Package plot draws the figures of the reproduction harness from the rows
// of package table: test accuracy and the mean angle between W and B per
// epoch for an accuracy experiment (Curves), its final top-1 per rule as
// bars with each seed's value (Bars), and the learning curves recorded
// every few steps (StepCurves); accuracy against the variance of the
// update noise for the noise experiment (NoiseCurves); the gap to backprop
// against depth for the depth experiment (Depth); and the course of a
// metaparameter search (Trials).
//
// Figures are drawn with gonum.org/v1/plot, the well-kept Go plotting
// library of the gonum project (pure Go, no cgo, PNG and SVG back ends), and
// each is written as both PNG and SVG, atomically (result.WriteFile), so
// a reader never sees half a file. The same rows always give the same bytes:
// nothing depends on the time, on map order or on the machine. Every rule
// keeps one colour, dash and glyph in every figure (see Style).
package plot
