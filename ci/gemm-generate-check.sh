#!/usr/bin/env bash
# Regenerates the avo assembly, core/gemm/kernel_amd64.s,
# core/vec/vec_amd64.s and core/noise/noise_amd64.s, from their generators (each package's _asm, a
# module of its own) and fails if a committed file differs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
status=0
for f in core/gemm/kernel_amd64.s core/vec/vec_amd64.s core/noise/noise_amd64.s; do
	(cd "$root/$(dirname "$f")/_asm" && go run . -out "$tmp")
	# avo names its output in the header; compare the rest.
	if ! diff -u <(tail -n +2 "$root/$f") <(tail -n +2 "$tmp"); then
		echo "$f is stale: run 'go generate ./$(dirname "$f")' and commit it" >&2
		status=1
	else
		echo "$f matches its generator"
	fi
done
exit $status
