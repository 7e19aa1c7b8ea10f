#!/usr/bin/env bash
# Cross-compiles core/gemm's and core/vec's tests for arm64 and runs them, NEON kernel
# included, under qemu-aarch64-static (Debian's qemu-user-static, installed
# here when missing and we are root). Without qemu it still vets and builds.
set -euo pipefail
cd "$(dirname "$0")/.."
GOARCH=arm64 go vet ./core/gemm/...
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
GOARCH=arm64 go test -c -o "$out/gemm.arm64" ./core/gemm
GOARCH=arm64 go test -c -o "$out/vec.arm64" ./core/vec
if ! command -v qemu-aarch64-static >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static >/dev/null
	else
		echo "gemm-arm64: qemu-aarch64-static not installed and not root: built, not run" >&2
		exit 0
	fi
fi
qemu-aarch64-static "$out/gemm.arm64" -test.v -test.run . 2>&1 | grep -v '^=== RUN'
# Also the generic fallback, as GODEBUG selects it on arm64 (the runtime warns
# that it does not know "asimd"; golang.org/x/sys/cpu does).
GODEBUG=cpu.asimd=off qemu-aarch64-static "$out/gemm.arm64" -test.run . 
# core/vec has no arm64 assembly: its generic loops, as built for arm64.
qemu-aarch64-static "$out/vec.arm64" -test.run .
