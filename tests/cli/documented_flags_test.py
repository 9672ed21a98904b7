#!/usr/bin/env python3
"""Every flag the docs and deploy files give a zerofleet binary is one that binary accepts.

Reads each command's flags from its --help (dispatch.cc's table), then checks
  - deploy/ (compose files, Kubernetes manifests): the `- --flag` items after a line naming a
    fleet binary (zerofleet-learner, -actor, -inference-server);
  - README.md and docs/*.md code (fenced blocks and indented lines): `zerofleet CMD` and
    `zerofleet-BIN` command lines with their `\\` continuations.
Usage: documented_flags_test.py REPO_ROOT BIN_DIR
"""

import os
import re
import subprocess
import sys
import unittest

REPO, BIN = (os.path.abspath(a) for a in sys.argv[1:3])
del sys.argv[1:3]

BINARIES = {"zerofleet-learner": "learner", "zerofleet-actor": "actor",
            "zerofleet-inference-server": "inference-server"}
COMMAND = re.compile(r"\b(zerofleet-(?:learner|actor|inference-server)|zerofleet\s+"
                     r"(?:selfplay|train|learner|actor|inference-server|play|evaluate|ratings|"
                     r"bench))\b")
FLAG = re.compile(r"(?<![\w-])--([a-z][a-z0-9-]*)")


def command_of(match):
    text = match.group(1)
    return BINARIES.get(text, text.split()[-1])


def help_flags(command):
    r = subprocess.run([os.path.join(BIN, "zerofleet"), command, "--help"],
                       capture_output=True, text=True)
    assert r.returncode == 0, (command, r.stderr)
    return set(re.findall(r"^\s+--([a-z0-9-]+)", r.stdout, re.M))


def code_lines(path):
    """(line number, text) of the code in a markdown file: fenced blocks and indented lines."""
    fenced = False
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            if fenced or line.startswith("    "):
                yield number, line.rstrip("\n")


def doc_uses(path):
    """(where, command, flag) for each flag on a zerofleet command line in the docs' code."""
    uses = []
    command = None
    for number, line in code_lines(path):
        m = COMMAND.search(line)
        if m:
            command = command_of(m)
            line = line[m.end():]
        if command is None:
            continue
        for flag in FLAG.findall(line.split("#", 1)[0]):
            uses.append((f"{os.path.relpath(path, REPO)}:{number}", command, flag))
        if not line.rstrip().endswith("\\"):
            command = None
    return uses


def deploy_uses(path):
    uses = []
    command = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            named = [b for b in BINARIES if b in line and "health" not in line]
            if named:
                command = BINARIES[named[0]]
                continue
            m = re.match(r"\s*-\s+--([a-z][a-z0-9-]*)", line)
            if command and m:
                uses.append((f"{os.path.relpath(path, REPO)}:{number}", command, m.group(1)))
            elif command and not re.match(r"\s*(args:|-)", line):
                command = None
    return uses


class DocumentedFlagsTest(unittest.TestCase):
    def check(self, uses):
        flags = {}
        bad = []
        for where, command, flag in uses:
            if command not in flags:
                flags[command] = help_flags(command)
            if flag not in flags[command]:
                bad.append(f"{where}: --{flag} is not a flag of `{command}`")
        self.assertEqual(bad, [])
        return len(uses)

    def test_docs(self):
        paths = [os.path.join(REPO, "README.md")] + [
            os.path.join(REPO, "docs", n) for n in sorted(os.listdir(os.path.join(REPO, "docs")))
            if n.endswith(".md")]
        uses = [u for p in paths for u in doc_uses(p)]
        self.assertGreater(self.check(uses), 20)  # the docs do show flags

    def test_deploy(self):
        uses = []
        for dirpath, _, names in os.walk(os.path.join(REPO, "deploy")):
            for n in names:
                if n.endswith((".yml", ".yaml")):
                    uses += deploy_uses(os.path.join(dirpath, n))
        self.assertGreater(self.check(uses), 20)


if __name__ == "__main__":
    unittest.main()
