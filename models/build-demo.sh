#!/bin/sh
# Builds the demo target/drafter pair from offline corpora (see models/README.md).
#   models/build-demo.sh           full build into models/demo (about 90 minutes on 2 cores, the lookup corpus included)
#   models/build-demo.sh --smoke   toy-size run of the whole chain into models/smoke-out (< 3 minutes)
#   models/build-demo.sh --drafter-only [MINUTES]   rebuild only the drafter of models/demo: the target is read back
#       from the committed target.onnx (checked against golden.json), its hidden states cached in models/work/cache,
#       and a drafter trained for MINUTES (default 60) from the committed one, then exported into models/demo
#   models/build-demo.sh --target-only   re-export models/demo/target.onnx from its own weights with the current
#       graph (checked against golden.json first; the manifest's io, past layout and sha256 are updated)
#   models/build-demo.sh --lookup-only [SNIPPETS]   rebuild only models/demo/lookup.bin (the target's own greedy
#       continuations of SNIPPETS random training-text snippets, default 6144) with bin/specserve lookup-corpus
#   models/build-demo.sh --install-deps   apt-get the Debian packages it needs, then exit
set -eu
cd "$(dirname "$0")"
PY=/usr/bin/python3
install_deps() {
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-torch python3-onnx libopenblas0-pthread \
    python3-regex openjdk-17-source >/dev/null
}
case "${1:-}" in
  -h|--help) sed -n '2,12p' "$(basename "$0")" | sed 's/^# \{0,1\}//'; exit 0 ;;
  --install-deps) install_deps; exit 0 ;;
esac
if ! $PY -c 'import torch, onnx, regex' 2>/dev/null || [ ! -f /usr/lib/jvm/openjdk-17/lib/src.zip ]; then
  echo "installing Debian packages: python3-torch python3-onnx libopenblas0-pthread python3-regex openjdk-17-source"
  install_deps
fi
export OPENBLAS_NUM_THREADS=1
if [ "${1:-}" = "--target-only" ]; then
  cd toolchain
  exec $PY -u target_onnx.py reexport --models ../demo
fi
lookup_corpus() { # the target's own continuations of training text, for lookup drafting (models/README.md)
  $PY toolchain/lookup_sources.py work/lookup-src >/dev/null
  ../bin/specserve lookup-corpus --models demo --replace --snippets "${1:-6144}" --note "the training files of both domains \
the target learned (domain A: 620 CPython stdlib files; domain B: 620 java.base files, evenly spaced), validation \
files excluded (models/toolchain/lookup_sources.py)" @work/lookup-src/files.txt
}
if [ "${1:-}" = "--lookup-only" ]; then
  lookup_corpus "${2:-6144}"
  exit 0
fi
if [ "${1:-}" = "--drafter-only" ]; then
  cd toolchain
  D="$PY -u drafter_build.py --models ../demo --work ../work"
  $D cache
  # as runs 2 and 3 of the committed drafter: time-bound (the cosine spans MINUTES), batch 8, warm restart
  $D train --vocab 512 --layers 1 --steps 1000000 --batch 8 --lr 7e-4 --minutes "${2:-60}" --eval-every 500 \
    --init ../demo/drafter.onnx --out ../work/drafter.pt
  exec $D export --checkpoint ../work/drafter.pt --out-dir ../demo --val-windows 32
fi
if [ "${1:-}" = "--smoke" ]; then
  shift; exec $PY -u toolchain/build.py --smoke --out smoke-out --work smoke-out/work "$@"
fi
$PY -u toolchain/build.py --out demo --bench-dir ../bench/prompts --work work "$@"
$PY -u toolchain/stream_prompts.py --bench-dir ../bench/prompts
lookup_corpus 6144
