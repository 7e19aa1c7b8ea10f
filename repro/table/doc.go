// Package table renders an experiment's tables from its result files
// alone: it reads every result.json under a sweep's directory, groups runs
// by rule, model and setting, and writes Markdown and CSV with the mean ±
// standard deviation over seeds, the gap to backprop, the alignment time
// scale each row used and the paper's claim beside our numbers. Tables can
// be rebuilt at any time without training.
package table
