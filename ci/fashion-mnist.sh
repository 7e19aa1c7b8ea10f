#!/usr/bin/env bash
# Installs Debian's dataset-fashion-mnist when the files are missing: as root
# it runs apt-get, otherwise it prints the one command to run.
set -euo pipefail
dir=${FASHION_DIR:-/usr/share/datasets/fashion-mnist}
if [ -f "$dir/train-images-idx3-ubyte.gz" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist
else
  echo "Fashion-MNIST is missing from $dir. Install it with:" >&2
  echo "  sudo apt-get install -y dataset-fashion-mnist" >&2
  exit 1
fi
