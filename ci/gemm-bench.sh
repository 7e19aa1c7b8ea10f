#!/usr/bin/env bash
# Benchmarks Sgemm: untied's implementations (generic, avx2, avx512 or neon), gonum,
# and OpenBLAS when Debian's libopenblas-dev is there (installed here if we
# are root), 1 and 2 threads, squares and conv shapes. Rounds are
# interleaved (each runs every benchmark once) so that load from elsewhere
# spreads over all of them; then benchstat compares.
#
#   ci/gemm-bench.sh                      # 10 rounds, all shapes
#   COUNT=3 IMPL='avx2|openblas.*' THREADS=1 SHAPE='1024x.*' ci/gemm-bench.sh
#   NICE=-10 COUNT=10 ci/gemm-bench.sh    # the figures in the report
#
# This machine is shared: other sessions' processes take CPU turns, and the
# kernel's autogroups give each session one share, so two threads see little
# more than one CPU. NICE=-10 (root only) runs the benchmarks in a session of
# their own with that autogroup nice, which gives them both CPUs for the run.
#
# OpenBLAS 0.3.21 takes this machine's CPU for a Prescott (SSE3), so it runs
# twice: with OPENBLAS_CORETYPE=Haswell (AVX2+FMA, against untied's avx2)
# and SkylakeX (AVX-512, against avx512), shown as impl=openblas-Haswell /
# openblas-SkylakeX.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-10}
BENCHTIME=${BENCHTIME:-0.5s}
IMPL=${IMPL:-.*}
THREADS=${THREADS:-.*}
SHAPE=${SHAPE:-.*}
OUT=${OUT:-bench/out/gemm.txt} # bench/out/ is git-ignored
mkdir -p "$(dirname "$OUT")"
BENCHSTAT="go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da"

tags=""
if ! [ -e /usr/include/x86_64-linux-gnu/cblas.h ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas-dev >/dev/null || true
fi
if [ -e /usr/include/x86_64-linux-gnu/cblas.h ] && [ "$(go env CGO_ENABLED)" = 1 ]; then
	tags="-tags openblas"
fi

# bench runs its arguments, in a session with autogroup nice $NICE if set.
bench() {
	if [ -n "${NICE:-}" ]; then
		setsid -w bash -c 'echo "$0" >/proc/self/autogroup && exec "$@"' "$NICE" "$@"
	else
		"$@"
	fi
}

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go test $tags -c -o "$bin/bench.test" ./bench/
printf 'Unit GFLOP/s better=higher\nUnit GFLOP/cpu-s better=higher\n' >"$OUT"
for round in $(seq "$COUNT"); do
	echo "round $round/$COUNT" >&2
	bench env OPENBLAS_CORETYPE=Haswell "$bin/bench.test" -test.run '^$' \
		-test.bench "BenchmarkSgemm/impl=($IMPL)\$/threads=($THREADS)\$/shape=($SHAPE)\$|BenchmarkPeak" \
		-test.benchtime "$BENCHTIME" -test.benchmem >>"$OUT"
	if [ -n "$tags" ] && [[ openblas-SkylakeX =~ ^($IMPL)$ ]]; then
		bench env OPENBLAS_CORETYPE=SkylakeX "$bin/bench.test" -test.run '^$' \
			-test.bench "BenchmarkSgemm/impl=openblas.*/threads=($THREADS)\$/shape=($SHAPE)\$" \
			-test.benchtime "$BENCHTIME" | grep '^Benchmark' >>"$OUT" || true
	fi
done

echo "== one core's FMA peak, measured in the same rounds (BenchmarkPeak)"
GOFLAGS= $BENCHSTAT -filter '.name:Peak' "$OUT" | awk -v RS= -v ORS='\n\n' '/GFLOP/'
echo "== GFLOP/s by implementation (results in $OUT)"
GOFLAGS= $BENCHSTAT -filter '.name:Sgemm' -col /impl -row /threads,/shape "$OUT" | awk -v RS= -v ORS='\n\n' '/GFLOP\/s /'
echo "== GFLOP per CPU-second (not counting other processes' turns)"
GOFLAGS= $BENCHSTAT -filter '.name:Sgemm' -col /impl -row /threads,/shape "$OUT" | awk -v RS= -v ORS='\n\n' '/GFLOP\/cpu-s/'
for im in avx512 avx2 neon; do
	grep -q "impl=$im/" "$OUT" || continue
	echo "== $im: 2 threads against 1"
	GOFLAGS= $BENCHSTAT -filter "/impl:$im" -col /threads -row /shape "$OUT" | awk -v RS= -v ORS='\n\n' '/GFLOP\/s /'
done
