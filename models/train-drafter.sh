#!/bin/sh
# Trains a SpecBlock drafter for a model exported by models/export-hf.py and adds it to that manifest
# (same recipe as the demo drafter). Then every strategy, specblock and auto included, serves that model.
#   models/train-drafter.sh --models OUT --corpus FILE... [--smoke] [--steps N] [--checkpoint DIR]
#   models/train-drafter.sh --help
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
export OPENBLAS_NUM_THREADS=1
exec /usr/bin/python3 -u "$HERE/toolchain/hf_drafter.py" "$@"
