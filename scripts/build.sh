#!/usr/bin/env bash
# Installs missing Debian packages, then configures and builds zerofleet into build/.
# Extra arguments go to cmake (e.g. -DCMAKE_PREFIX_PATH=/opt/libtorch for a CUDA LibTorch).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DZF_WERROR="${ZF_WERROR:-OFF}" "$@" >/dev/null
# Linking LibTorch programs takes ~1 GiB each; keep parallel links modest.
ninja -C build -j "$jobs"
