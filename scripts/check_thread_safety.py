#!/usr/bin/env python3
"""Checks the ABSL_GUARDED_BY-style annotations with clang's -Wthread-safety.

GCC ignores the annotations, so nothing else checks them. For each of zerofleet's own source
files (not tests or benchmarks) whose includes (transitively, within the repo) use absl::Mutex or a thread-safety
annotation, runs clang++ -fsyntax-only with the build's flags plus -Wthread-safety
-Werror=thread-safety. Needs a configured build (compile_commands.json) and clang++
(Debian: clang; scripts/setup.sh installs it with ZF_DEV_TOOLS=1).

Usage: scripts/check_thread_safety.py [--list] [BUILD_DIR]   (default: build; --list only
names the files it would check)
"""

import concurrent.futures
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
LOCKING = re.compile(r"absl/synchronization/mutex.h|absl::Mutex|ABSL_(PT_)?GUARDED_BY|ABSL_(EXCLUSIVE|SHARED)_LOCKS_REQUIRED|"
                     r"ABSL_LOCKS_EXCLUDED")


# The product's code; tests and benchmarks only call it.
LAYERED = ("common", "learner", "inference_server", "actor", "tools")


def uses_locking(path, seen, cache):
    """Whether `path` or a repo header it includes (transitively) uses a mutex or annotation."""
    if path in cache:
        return cache[path]
    if path in seen or not os.path.exists(path):
        return False
    seen.add(path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    result = bool(LOCKING.search(text)) or any(
        uses_locking(os.path.join(ROOT, inc), seen, cache) for inc in INCLUDE.findall(text))
    cache[path] = result
    return result


def clang_command(entry, clang):
    args = shlex.split(entry["command"])
    out = [clang, "-fsyntax-only", "-Wthread-safety", "-Werror=thread-safety"]
    skip = False
    for a in args[1:]:
        if skip:
            skip = False
            continue
        if a in ("-o", "-c"):
            skip = a == "-o"
            continue
        if a.startswith("-W"):  # GCC's warning set; this check is about thread safety only
            continue
        out.append(a)
    return out


def main():
    args = sys.argv[1:]
    list_only = "--list" in args
    args = [a for a in args if a != "--list"]
    build = os.path.abspath(args[0] if args else os.path.join(ROOT, "build"))
    clang = shutil.which("clang++")
    if clang is None:
        sys.exit("check_thread_safety: clang++ not found")
    db = os.path.join(build, "compile_commands.json")
    if not os.path.exists(db):
        sys.exit(f"check_thread_safety: {db} missing (configure the build first)")
    with open(db, encoding="utf-8") as f:
        entries = json.load(f)
    cache = {}
    own = [os.path.join(ROOT, d) + os.sep for d in LAYERED]
    todo = [e for e in entries
            if os.path.abspath(e["file"]).startswith(tuple(own))
            and not os.path.abspath(e["file"]).startswith(build + os.sep)
            and uses_locking(os.path.abspath(e["file"]), set(), cache)]
    if list_only:
        print("\n".join(os.path.relpath(e["file"], ROOT) for e in todo))
        return 0
    failures = []
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        runs = {pool.submit(subprocess.run, clang_command(e, clang), cwd=e["directory"],
                            capture_output=True, text=True): e["file"] for e in todo}
        for done in concurrent.futures.as_completed(runs):
            r = done.result()
            if r.returncode != 0:
                failures.append(runs[done])
                sys.stdout.write(r.stderr)
    if failures:
        print(f"check_thread_safety: {len(failures)} of {len(todo)} files fail "
              "-Wthread-safety: " + " ".join(os.path.relpath(f, ROOT) for f in sorted(failures)))
        return 1
    print(f"check_thread_safety: ok ({len(todo)} files that use mutexes, clang -Wthread-safety)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
