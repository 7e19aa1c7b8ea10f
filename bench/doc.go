// Package bench holds cross-package benchmarks, named for benchstat
// (BenchmarkTrainStep/model=resnet18/width=16/size=28/batch=128/rule=bp). Run them with
// `make bench`; outputs go to bench/out/, which git ignores.
package bench
