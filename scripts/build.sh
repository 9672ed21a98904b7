#!/usr/bin/env bash
# Installs missing Debian packages, then configures and builds zerofleet into build/.
# Extra arguments go to cmake (e.g. -DCMAKE_PREFIX_PATH=/opt/libtorch for a CUDA LibTorch).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)
# ZF_WERROR=ON (set by .ci/run) makes warnings errors; unset, the build keeps its setting, so
# switching between the README's two commands never rebuilds everything.
werror=()
if [ -n "${ZF_WERROR:-}" ]; then werror=(-DZF_WERROR="$ZF_WERROR"); fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${werror[@]}" "$@" >/dev/null
# Linking LibTorch programs takes ~1 GiB each; keep parallel links modest.
ninja -C build -j "$jobs"
