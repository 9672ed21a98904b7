#!/usr/bin/env bash
# Builds everything and runs every test; ctest's summary ends the output.
# (Warnings are errors in CI: .ci/run sets ZF_WERROR=ON.)
# Pass ctest arguments to narrow it, e.g. `scripts/test.sh -L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@"
