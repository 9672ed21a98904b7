#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only the binary the main job needs: the tests and the other binaries build with the README's
# second command (scripts/test.sh).
ZF_BUILD_TARGETS=zerofleet bash scripts/build.sh
# A CPU-sized run on a machine without a GPU (--preset auto picks); Ctrl-C stops with a
# checkpoint, and running it again resumes.
exec build/bin/zerofleet train --run-dir runs/gomoku "$@"
