// Package run trains one configuration end to end: it loads the data,
// builds the model and the learning rule, trains for the configured epochs
// with a progress bar, evaluates on the test set after every epoch, and
// writes DIR/result.json atomically after each epoch, so a finished epoch is
// never lost.
package run
