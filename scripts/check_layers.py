#!/usr/bin/env python3
"""Checks that includes and CMake library dependencies only point down the layers.

The layers and their order come from the table in docs/ARCHITECTURE.md (the map the docs
promise): a file may include headers of its own layer and of layers listed above it; a
zf_library may depend on zf_ libraries of its own layer and of layers above it. tests/, bench/
and scripts/ may use everything. Prints one line per violation and exits 1 if there are any.

Usage: scripts/check_layers.py [REPO_ROOT]
"""

import os
import re
import subprocess
import sys

# Generated protobuf/gRPC headers are included by their proto package path.
GENERATED = {"zerofleet/": "proto/"}
TABLE_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
LIBRARY = re.compile(r"zf_library\(\s*(zf_\w+)(.*?)\)", re.S)
UNLAYERED = ("tests/", "bench/", "scripts/", "deploy/")


def read_layers(root):
    """Layer folders ("common/util/", ..., "tools/") in dependency order."""
    layers = []
    with open(os.path.join(root, "docs/ARCHITECTURE.md"), encoding="utf-8") as f:
        for line in f:
            m = TABLE_ROW.match(line)
            if not m:
                continue
            folder = m.group(1).rstrip("/") + "/"
            if not folder.startswith(UNLAYERED):
                layers.append(folder)
    if not layers:
        sys.exit("check_layers: no layer table found in docs/ARCHITECTURE.md")
    return layers


def layer_of(path, layers):
    """Index of the most specific layer holding `path`, or None."""
    for prefix, real in GENERATED.items():
        if path.startswith(prefix):
            path = real + path[len(prefix):]
    best = None
    for i, folder in enumerate(layers):
        if path.startswith(folder) and (best is None or len(folder) > len(layers[best])):
            best = i
    return best


def tracked_files(root):
    out = subprocess.run(["git", "-C", root, "ls-files"], check=True, capture_output=True,
                         text=True).stdout
    return out.split()


def check_includes(root, files, layers):
    problems = []
    for path in files:
        if not path.endswith((".h", ".cc")):
            continue
        own = layer_of(path, layers)
        if own is None:
            continue
        with open(os.path.join(root, path), encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = layer_of(m.group(1), layers)
                if target is not None and target > own:
                    problems.append(f"{path}:{number}: includes {m.group(1)} from layer "
                                    f"{layers[target]}, below {layers[own]}")
    return problems


def check_libraries(root, files, layers):
    defined = {}  # target -> (CMakeLists path, layer index, deps)
    for path in files:
        if os.path.basename(path) != "CMakeLists.txt":
            continue
        own = layer_of(path, layers)
        if own is None:
            continue
        with open(os.path.join(root, path), encoding="utf-8") as f:
            text = f.read()
        for m in LIBRARY.finditer(text):
            deps = re.findall(r"\bzf_\w+", m.group(2).split("DEPS", 1)[-1])
            defined[m.group(1)] = (path, own, deps)
    problems = []
    for name, (path, own, deps) in sorted(defined.items()):
        for dep in deps:
            if dep in defined and defined[dep][1] > own:
                problems.append(f"{path}: {name} ({layers[own]}) depends on {dep} "
                                f"({layers[defined[dep][1]]}), a lower layer")
    return problems, len(defined)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    layers = read_layers(root)
    files = tracked_files(root)
    problems = check_includes(root, files, layers)
    library_problems, libraries = check_libraries(root, files, layers)
    problems += library_problems
    for p in problems:
        print(p)
    if problems:
        print(f"check_layers: {len(problems)} upward dependencies (layer order: "
              "docs/ARCHITECTURE.md)")
        return 1
    print(f"check_layers: ok ({len(layers)} layers, {libraries} libraries, includes and "
          "library deps point down)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
