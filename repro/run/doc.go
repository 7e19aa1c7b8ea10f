// Package run trains one configuration end to end: it loads the data,
// builds the model and the learning rule, trains for the configured epochs
// with a progress bar, evaluates on the test set after every epoch, and
// writes DIR/result.json atomically after each epoch, so a finished epoch is
// never lost. result.json records the configuration both as requested and
// as Run derived it, so a sweep can tell a result of another request, and
// an interrupted run resumes only under the request it started with. The
// files' schema and their atomic writer are repro/result's.
package run
