#!/usr/bin/env bash
# Times one training step of ResNet-18 (width 16, 28x28, batch 128, two
# threads, backprop) in untied and in PyTorch, interleaved ROUNDS times, and
# prints the medians and their ratios. Needs Debian's python3-torch (it says
# how to install it when missing).
#
# PyTorch runs twice per round: as it comes, when oneDNN and ATen pick the
# widest vectors the CPU has (AVX-512 on this project's machines), and held
# to AVX2 (ONEDNN_MAX_CPU_ISA, ATEN_CPU_CAPABILITY), the ISA untied's
# kernels use: the second is the like-for-like ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
PY=/usr/bin/python3
if ! $PY -c 'import torch' 2>/dev/null; then
  echo "PyTorch is missing: apt-get install -y python3-torch" >&2
  exit 1
fi
mkdir -p bench/out
out=bench/out/trainstep-pytorch.txt
: > "$out"
go test -c -o bench/out/bench.test ./bench/
for _ in $(seq "$ROUNDS"); do
  GOMAXPROCS=2 bench/out/bench.test -test.run '^$' -test.bench 'TrainStep/model=resnet18/width=16/rule=bp$' -test.benchtime 5x | grep '^Benchmark' | tee -a "$out"
  $PY bench/pytorch_trainstep.py --threads 2 | tee -a "$out"
  ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 $PY bench/pytorch_trainstep.py --threads 2 |
    sed 's/impl=pytorch/impl=pytorch-avx2/' | tee -a "$out"
done
awk '{ for (i = 2; i <= NF; i++) if ($i == "img/s") v = $(i - 1) }
  /impl=pytorch-avx2/ {q[nq++] = v; next} /impl=pytorch/ {p[np++] = v; next} /^Benchmark/ {u[nu++] = v}
  function median(a, n,   i, j, t) { for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }; return a[int(n / 2)] }
  END { mu = median(u, nu); mp = median(p, np); mq = median(q, nq)
    printf "untied %.1f img/s, PyTorch %.1f img/s: untied/PyTorch = %.2f\n", mu, mp, mu / mp
    printf "untied %.1f img/s, PyTorch held to AVX2 %.1f img/s: untied/PyTorch-AVX2 = %.2f\n", mu, mq, mu / mq }' "$out"
