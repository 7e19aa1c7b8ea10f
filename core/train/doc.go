// Package train runs training steps and evaluation of an untied network:
// forward with W, softmax cross-entropy, backward through B (or W), the
// learning rule's feedback-weight gradients, then the optimizers.
//
// It holds no files and prints nothing; repro/run drives it over epochs and
// writes results.
package train
