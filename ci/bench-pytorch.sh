#!/usr/bin/env bash
# Times one training step (backprop, two threads) of each BenchmarkTrainStep
# network in untied and in PyTorch, interleaved ROUNDS times, and prints the
# medians and the ratio of untied to PyTorch at its best: the faster of its
# two memory formats, NCHW and channels_last (which PyTorch's CPU
# performance guide recommends for conv nets). Needs Debian's python3-torch
# (it says how to install it when missing).
#
# PyTorch runs as it comes: oneDNN and ATen pick the widest vectors the CPU
# has. On the reference network (ResNet-18 width 16) it also runs held to
# AVX2 (ONEDNN_MAX_CPU_ISA, ATEN_CPU_CAPABILITY), an extra line, not the
# yardstick. NETS=ref times only the reference network, NETS=PATTERN the
# networks whose benchmark name matches it (NETS=lenet: BioTorch's LeNet).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
NETS=${NETS:-all}
PY=/usr/bin/python3
if ! $PY -c 'import torch' 2>/dev/null; then
  echo "PyTorch is missing: apt-get install -y python3-torch" >&2
  exit 1
fi
mkdir -p bench/out
out=bench/out/trainstep-pytorch.txt
: > "$out"
go test -c -o bench/out/bench.test ./bench/

# Each network: its benchmark name (as bench/train_test.go names it), the
# PyTorch script's flags for it, steps per timing.
nets=(
  "model=resnet18/width=16/size=28/batch=128|--arch resnet18 --width 16 --size 28 --channels 1 --batch 128|5"
  "model=resnet50/width=16/size=28/batch=128|--arch resnet50 --width 16 --size 28 --channels 1 --batch 128|3"
  "model=resnet18/width=64/size=32/batch=128|--arch resnet18 --width 64 --size 32 --channels 3 --batch 128|3"
  "model=resnet18/width=64/size=224/batch=16|--arch resnet18 --width 64 --size 224 --channels 3 --classes 1000 --imagenet-stem --batch 16|2"
  "model=lenet-mnist/width=0/size=32/batch=64|--arch lenet-mnist --width 0 --size 32 --channels 1 --batch 64|50"
)
case "$NETS" in
  all) ;;
  ref) nets=("${nets[0]}") ;;
  *) mapfile -t nets < <(printf '%s\n' "${nets[@]}" | grep -- "$NETS") ;;
esac

for _ in $(seq "$ROUNDS"); do
  for spec in "${nets[@]}"; do
    IFS='|' read -r name flags steps <<< "$spec"
    GOMAXPROCS=2 bench/out/bench.test -test.run '^$' -test.bench "TrainStep/$name/rule=bp\$" -test.benchtime "${steps}x" |
      grep '^Benchmark' | tee -a "$out"
    for f in nchw channels_last; do
      # shellcheck disable=SC2086
      $PY bench/pytorch_trainstep.py $flags --threads 2 --steps "$steps" --memory-format $f | tee -a "$out"
    done
    if [ "$spec" = "${nets[0]}" ]; then
      # shellcheck disable=SC2086
      ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 $PY bench/pytorch_trainstep.py $flags --threads 2 \
        --steps "$steps" --memory-format channels_last --label=-avx2 | tee -a "$out"
    fi
  done
done

# Medians per network and implementation, then the ratios.
awk '
  /^Benchmark/ {
    v = ""; for (i = 2; i <= NF; i++) if ($i == "img/s") v = $(i - 1)
    name = $1; sub(/^BenchmarkTrainStep\//, "", name); sub(/-[0-9]+$/, "", name); sub(/\/rule=bp/, "", name)
    impl = "untied"; if (match(name, /\/impl=.*/)) { impl = substr(name, RSTART + 6); name = substr(name, 1, RSTART - 1) }
    if (!(name in seen)) { seen[name] = 1; order[nn++] = name }
    k = name SUBSEP impl; n = cnt[k]++; val[k, n] = v; impls[impl] = 1
  }
  function median(k,   n, i, j, t, a) {
    n = cnt[k]; if (n == 0) return 0
    for (i = 0; i < n; i++) a[i] = val[k, i]
    for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return a[int(n / 2)]
  }
  END {
    for (q = 0; q < nn; q++) {
      name = order[q]
      u = median(name SUBSEP "untied"); pn = median(name SUBSEP "pytorch-nchw"); pc = median(name SUBSEP "pytorch-channels_last")
      best = (pn > pc) ? pn : pc; which = (pn > pc) ? "NCHW" : "channels_last"
      printf "%s: untied %.1f img/s; PyTorch NCHW %.1f, channels_last %.1f; untied/PyTorch at its best (%s) = %.2f\n", name, u, pn, pc, which, u / best
      a = median(name SUBSEP "pytorch-channels_last-avx2")
      if (a > 0) printf "%s: PyTorch held to AVX2 (channels_last) %.1f img/s; untied/it = %.2f\n", name, a, u / a
    }
  }' "$out"
