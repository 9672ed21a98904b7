#!/usr/bin/env bash
# Builds everything (warnings are errors) and runs every test; ctest's summary ends the output.
# Pass ctest arguments to narrow it, e.g. `scripts/test.sh -L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
ZF_WERROR=ON bash scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@"
