#!/usr/bin/env bash
# Working memory of a training step, untied against PyTorch (Debian's
# python3-torch), on ResNet-18 width 16, 28×28, batch 128, two threads.
# untied: the peak resident memory (result.json's machine.peak_rss) of a
# short run on synthetic data (8 steps, evaluation on 8 images) less that of
# the same run at batch 8. PyTorch: its peak after 8 steps less its peak
# after `import torch`, in both memory formats. RULES="bp aa" picks
# untied's rules.
set -euo pipefail
cd "$(dirname "$0")/.."
RULES=${RULES:-bp aa}
PY=/usr/bin/python3
if ! $PY -c 'import torch' 2>/dev/null; then
  echo "PyTorch is missing: apt-get install -y python3-torch" >&2
  exit 1
fi
go build -o bench/out/untied ./repro/cmd/untied
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
peak() { # rule batch → peak resident MB of the run
  GOMAXPROCS=2 bench/out/untied train -data synthetic -model resnet18 -width 16 -rule "$1" -batch "$2" \
    -epochs 1 -train-limit $((8 * $2)) -test-limit 8 -metrics-every 0 -checkpoint-every 0 -quiet \
    -out "$tmp/$1-$2" >"$tmp/$1-$2.log" 2>&1 || { cat "$tmp/$1-$2.log" >&2; exit 1; }
  $PY -c 'import json, sys; print(round(json.load(open(sys.argv[1]))["machine"]["peak_rss"] / 2**20))' "$tmp/$1-$2/result.json"
}
for rule in $RULES; do
  big=$(peak "$rule" 128) small=$(peak "$rule" 8)
  echo "untied $rule: peak $big MB at batch 128, $small MB at batch 8: working memory $((big - small)) MB"
done
for f in nchw channels_last; do
  $PY bench/pytorch_trainstep.py --threads 2 --steps 8 --memory-format $f --rss |
    awk -v f=$f '{ for (i = 2; i <= NF; i++) { if ($i == "peak-MB") p = $(i - 1); if ($i == "import-MB") b = $(i - 1) }
      printf "PyTorch %s: peak %d MB, %d MB after import torch: working memory %d MB\n", f, p, b, p - b }'
done
