#!/usr/bin/env bash
# Regenerates core/gemm/kernel_amd64.s from its avo generator (core/gemm/_asm,
# a module of its own) and fails if the committed file differs.
set -euo pipefail
cd "$(dirname "$0")/../core/gemm"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
(cd _asm && go run . -out "$tmp")
# avo names its output in the header; compare the rest.
if ! diff -u <(tail -n +2 kernel_amd64.s) <(tail -n +2 "$tmp"); then
	echo "core/gemm/kernel_amd64.s is stale: run 'go generate ./core/gemm' and commit it" >&2
	exit 1
fi
echo "core/gemm/kernel_amd64.s matches its generator"
