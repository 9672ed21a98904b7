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
# ZF_BUILD_TARGETS (e.g. "zerofleet", as quickstart.sh sets) builds only those; default: all.
# shellcheck disable=SC2086  # a space-separated list of targets
ninja -C build -j "$jobs" ${ZF_BUILD_TARGETS:-}
