#!/usr/bin/env bash
# Compares the training step (or any benchmark of bench/) at revision BASE
# with the working tree: both test binaries are built first, then run in
# turn COUNT times, so load from other processes falls on both alike, and
# benchstat compares them (old = BASE, new = the working tree). With the
# default PKG, the old binary is built with the working tree's benchmarks
# (bench/*_test.go) around BASE's library, so both report the same metrics.
#
#   bash bench/compare.sh HEAD~3
#   BENCH='TrainStep/model=resnet18/width=16/size=28/batch=128/rule=(bp|fa)$' COUNT=10 bash bench/compare.sh ba5dad3
#   PKG=./core/conv BENCH='Conv/layer=l1_3x3' BENCHTIME=10x bash bench/compare.sh HEAD
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:?usage: bench/compare.sh BASE-REVISION}
BENCH=${BENCH:-TrainStep/model=resnet18/width=16/size=28/batch=128/rule=bp$}
COUNT=${COUNT:-8}
BENCHTIME=${BENCHTIME:-4x}
PROCS=${PROCS:-2}
PKG=${PKG:-./bench/}
BENCHSTAT="go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da"
out=bench/out/compare # git-ignored
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git archive "$BASE" | tar -x -C "$tmp"
if [ "$PKG" = ./bench/ ]; then
  cp bench/*_test.go "$tmp/bench/"
  cp -r bench/internal "$tmp/bench/" # what the benchmarks import
fi
(cd "$tmp" && go test -c -o "$OLDPWD/$out/old.test" "$PKG")
go test -c -o "$out/new.test" "$PKG"
: > "$out/old.txt"
: > "$out/new.txt"
for i in $(seq "$COUNT"); do
  for v in old new; do
    (cd "$PKG" && GOMAXPROCS=$PROCS "$OLDPWD/$out/$v.test" -test.run '^$' -test.bench "$BENCH" \
      -test.benchtime "$BENCHTIME" -test.benchmem) | grep -E '^(Benchmark|goos|goarch|pkg|cpu)' >> "$out/$v.txt"
  done
  echo "round $i/$COUNT done" >&2
done
$BENCHSTAT "old=$out/old.txt" "new=$out/new.txt"
