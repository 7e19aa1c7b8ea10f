# untied: build, test and reproduce. `make help` lists the targets.
GO ?= go
FASHION_DIR ?= /usr/share/datasets/fashion-mnist

PROFILE ?= quick
DATA_DIR ?=
CELLS ?=
# RULES, SEEDS: run only these rules' or seeds' cells (comma lists), e.g. the
# 100-epoch profile of a few rules; the table shows every result there is.
RULES ?=
SEEDS ?=
# JOBS: cells run at once, each a process with cores/JOBS threads. The small
# profiles' models gain little from a second thread, so they run a cell per
# core; the full-size ones use every core for one cell at a time.
NPROC := $(shell nproc 2>/dev/null || echo 1)
JOBS ?= $(if $(filter smoke quick,$(PROFILE)),$(NPROC),1)
# REV: the commit the binary is built from, recorded in every result.json
# (empty outside a git checkout; Go's own VCS stamp is often turned off).
REV := $(shell git describe --always --dirty --abbrev=12 2>/dev/null)
LDFLAGS := -X github.com/untied-ml/untied/repro/run.buildRevision=$(REV)
# SCHEDULER=slurm submits a sweep to Slurm as a job array, with its tables as
# a job that runs when the array ends (untied sweep -slurm); SLURM_FLAGS
# passes the site's settings, e.g. "-partition gpu -account lab -time 4:00:00
# -sbatch-preamble site.sbatch". The searches (repro-tune, repro-biotorch-lr)
# run here and submit each generation of trials as a job array.
SCHEDULER ?= local
SLURM_FLAGS ?=
RUN_ON = $(if $(filter slurm,$(SCHEDULER)),-slurm $(SLURM_FLAGS),-jobs $(JOBS) $(if $(CELLS),-cells $(CELLS)) $(if $(RULES),-rules $(RULES)) $(if $(SEEDS),-seeds $(SEEDS)))
TUNE_ON = $(if $(filter slurm,$(SCHEDULER)),-slurm $(SLURM_FLAGS),-jobs $(JOBS))
SWEEP = ./bin/untied sweep -profile $(PROFILE) $(if $(DATA_DIR),-data-dir $(DATA_DIR)) $(RUN_ON)

.PHONY: help test vet build install train golden-update data repro-table1 repro-table1-ext repro-noise \
	repro-tune repro-transfer repro-depth repro-input-batch repro-biotorch repro-biotorch-lr repro-biotorch-lenet \
	gemm-generate gemm-check gemm-arm64 gemm-fuzz gemm-bench bench bench-compare bench-pytorch memory-pytorch

help:
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

test: ## go vet and every test (the README's test command)
	$(GO) vet ./...
	$(GO) test ./...

build: ## build the untied command into bin/
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/untied ./repro/cmd/untied

install: ## go install the untied command
	$(GO) install -ldflags "$(LDFLAGS)" ./repro/cmd/untied

data: ## install Fashion-MNIST (Debian's dataset-fashion-mnist) if missing
	@bash ci/fashion-mnist.sh

train: build data ## the main job: LeNet with feedback alignment vs backprop on Fashion-MNIST (a finished runs/ dir is kept: remove it to train again)
	./bin/untied train -data fashion-mnist -model lenet -rule bp -epochs 2 -seed 1 -lr 0.05 -out runs/lenet-bp
	./bin/untied train -data fashion-mnist -model lenet -rule fa -epochs 2 -seed 1 -lr 0.005 -out runs/lenet-fa

golden-update: ## regenerate golden/testdata from the current code (review the diff!)
	$(GO) test ./golden/ -run Golden -update

repro-table1: build data ## table 1: accuracy of every rule on ResNet-18/50 (PROFILE=smoke|quick|full|imagenet, DATA_DIR=, CELLS=i/n, JOBS=, SCHEDULER=slurm SLURM_FLAGS=)
	$(SWEEP) -experiment table1

repro-table1-ext: build data ## table 1's other rows: KP, uSF, frSF, DFA and the data-input WM and IA (profile quick-ext)
	./bin/untied sweep -experiment table1 -profile quick-ext $(RUN_ON)

repro-noise: build data ## robustness to noisy updates (same variables as repro-table1)
	$(SWEEP) -experiment noise

repro-tune: build data ## TPE search of WM's and IA's metaparameters on ResNet-18, on a validation split (resumes; writes repro/results/tune/PROFILE/)
	./bin/untied tune -profile $(PROFILE) $(TUNE_ON) $(if $(DATA_DIR),-data-dir $(DATA_DIR))

repro-transfer: build data ## WM and IA tuned on ResNet-18, applied to ResNet-34, ResNet-50 and ResNet-50 v2 (needs repro-tune's setting, committed)
	$(SWEEP) -experiment transfer

repro-depth: build data ## gap to backprop against depth, ResNet-18 to ResNet-152
	$(SWEEP) -experiment depth

repro-input-batch: build data ## WM, IA and AA with their alignment terms on half and a quarter of the batch (-align-input-batch)
	$(SWEEP) -experiment input-batch

repro-biotorch-lr: build data ## BioTorch's LeNet benchmark, step 1: each rule's learning rate per data set, TPE on a validation split (PROFILE=smoke or quick; the full table takes the quick rates; resumes; writes repro/results/biotorch-lenet-lr/PROFILE/)
	./bin/untied tune -experiment biotorch-lenet-lr -profile $(PROFILE) $(TUNE_ON)

repro-biotorch: repro-biotorch-lenet ## BioTorch's LeNet benchmark: top-1 error on MNIST and Fashion-MNIST, every rule at its tuned rate (needs repro-biotorch-lr's settings, committed for quick)
repro-biotorch-lenet: build data
	$(SWEEP) -experiment biotorch-lenet

bench: ## training-step benchmarks: every rule on ResNet-18 w16, backprop on three larger networks (compare rules with benchstat -col /rule)
	mkdir -p bench/out
	$(GO) test ./bench/ -run '^$$' -bench TrainStep -benchtime 5x -count 6 | tee bench/out/trainstep.txt

bench-compare: ## old vs new training step, interleaved, through benchstat (BASE=<rev>; BENCH=, COUNT=, PKG= as bench/compare.sh)
	bash bench/compare.sh $(BASE)

memory-pytorch: ## working memory of a ResNet-18 w16 training step (peak RSS at batch 128 less batch 8), untied against PyTorch
	bash ci/memory-pytorch.sh

bench-pytorch: ## training steps of ResNet-18/50 at three sizes and LeNet, untied against PyTorch (Debian python3-torch, NCHW and channels_last) in one run; NETS=ref for ResNet-18 w16 only, NETS=lenet for BioTorch's LeNet
	bash ci/bench-pytorch.sh

gemm-generate: ## regenerate core/gemm/kernel_amd64.s, core/vec/vec_amd64.s and core/noise/noise_amd64.s from their avo generators (_asm)
	$(GO) generate ./core/gemm ./core/vec ./core/noise

gemm-check: ## gemm: generated asm up to date; purego, AVX2-only and no-AVX2 fallbacks; arm64 vet
	bash ci/gemm-generate-check.sh
	$(GO) test -tags purego ./core/gemm/ ./core/vec/
	GODEBUG=cpu.avx512f=off $(GO) test ./core/gemm/ ./core/vec/
	GODEBUG=cpu.avx2=off,cpu.fma=off $(GO) test ./core/gemm/ ./core/vec/
	GOARCH=arm64 $(GO) vet ./...

gemm-arm64: ## gemm: NEON kernel tests under qemu-aarch64-static (installs qemu-user-static as root)
	bash ci/gemm-arm64.sh

gemm-fuzz: ## gemm: fuzz the assembly kernels against the generic one for 60s
	$(GO) test -run '^$$' -fuzz FuzzKernel -fuzztime 60s ./core/gemm/

gemm-bench: ## gemm: Sgemm vs gonum and OpenBLAS, interleaved rounds and benchstat (NICE=-10 on a shared machine)
	bash ci/gemm-bench.sh
