// Package bench holds cross-package benchmarks, named for benchstat
// (BenchmarkTrainStep/model=resnet18/width=16/rule=bp). Run them with
// `make bench`; outputs go to bench/out/, which git ignores.
package bench
