#!/usr/bin/env bash
# Checks that every tracked C++ file is formatted as the repo's .clang-format says (Google,
# 100 columns). Prints the files that differ and exits 1; `--fix` rewrites them instead.
# Needs clang-format (Debian: clang-format; scripts/setup.sh installs it with ZF_DEV_TOOLS=1).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check_format: clang-format not found" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.h' '*.cc')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  echo "check_format: formatted ${#files[@]} files"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  clang-format "$f" | cmp -s - "$f" || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  printf '%s\n' "${bad[@]}"
  echo "check_format: ${#bad[@]} of ${#files[@]} files differ from .clang-format (fix: scripts/check_format.sh --fix)"
  exit 1
fi
echo "check_format: ok (${#files[@]} files)"
