#!/usr/bin/env bash
# Builds everything and runs every test: the unit tests first (they fail fast), the Docker
# tests, then the integration and slow ones; ctest's summary ends the output.
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
# The Docker tests (label docker: images built, the compose stack run) print their figures
# (-V); they skip where no Docker engine can be started.
start=$(date +%s)
docker_rc=0
ctest -V -L docker || docker_rc=$?
echo "docker tests: $(( $(date +%s) - start )) s (rc $docker_rc)"
rc=0
ctest --output-on-failure -j "$jobs" -LE 'unit|docker' || rc=$?
if [ "$docker_rc" -ne 0 ]; then echo "the docker tests failed (above)"; fi
exit $(( rc != 0 ? rc : docker_rc ))
