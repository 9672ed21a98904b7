#!/usr/bin/env python3
"""Every flag the docs give a zerofleet command is one that command accepts.

Reads each command's flags from its --help (each command's declared flags), then checks the code in
README.md and docs/*.md (fenced blocks and indented lines): `zerofleet CMD` and
`zerofleet-BIN` command lines with their `\\` continuations. (deploy/: deploy_config_test.py.)
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


if __name__ == "__main__":
    unittest.main()
