#!/usr/bin/env bash
# Builds everything and runs every test: the unit tests first (they fail fast), then the
# integration and slow ones; ctest's summary ends the output.
# (Warnings are errors in CI: .ci/run sets ZF_WERROR=ON, and ZF_THREAD_SAFETY=1 for the
# clang -Wthread-safety check after the build.)
# Pass ctest arguments to narrow it, e.g. `scripts/test.sh -L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
if [ -n "${ZF_THREAD_SAFETY:-}" ]; then python3 scripts/check_thread_safety.py build; fi
cd build
jobs=$(nproc 2>/dev/null || echo 2)
if [ $# -gt 0 ]; then exec ctest --output-on-failure -j "$jobs" "$@"; fi
ctest --output-on-failure -j "$jobs" -L unit
exec ctest --output-on-failure -j "$jobs" -LE unit
