#!/usr/bin/env python3
"""scripts/check_layers.py passes on the repository and catches upward includes and deps."""

import os
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "../.."))
SCRIPT = os.path.join(REPO, "scripts/check_layers.py")

TABLE = """# map
| layer | target | what |
|---|---|---|
| `low/` | `zf_low` | bottom |
| `high/` | `zf_high` | top |
| `tests/` | `*_test` | anything |
"""


def run(root):
    return subprocess.run([sys.executable, SCRIPT, root], capture_output=True, text=True)


class CheckLayersTest(unittest.TestCase):
    def make_repo(self, files):
        root = tempfile.mkdtemp()
        files = dict(files)
        files["docs/ARCHITECTURE.md"] = TABLE
        for path, text in files.items():
            os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(root, path), "w") as f:
                f.write(text)
        subprocess.run(["git", "init", "-q", root], check=True)
        subprocess.run(["git", "-C", root, "add", "."], check=True)
        return root

    def test_the_repository_is_layered(self):
        r = run(REPO)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("check_layers: ok", r.stdout)

    def test_downward_includes_pass(self):
        root = self.make_repo({
            "low/a.h": "#include <vector>\n",
            "high/b.cc": '#include "high/b.h"\n#include "low/a.h"\n',
            "tests/t.cc": '#include "high/b.h"\n',
        })
        r = run(root)
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_an_upward_include_is_named(self):
        root = self.make_repo({
            "low/a.cc": '#include "low/a.h"\n\n#include "high/b.h"\n',
            "high/b.h": "",
        })
        r = run(root)
        self.assertEqual(r.returncode, 1)
        self.assertIn("low/a.cc:3: includes high/b.h", r.stdout)

    def test_an_upward_library_dependency_is_named(self):
        root = self.make_repo({
            "low/CMakeLists.txt": "zf_library(zf_low SRCS a.cc DEPS zf_high absl::status)\n",
            "high/CMakeLists.txt": "zf_library(zf_high SRCS b.cc DEPS zf_low)\n",
        })
        r = run(root)
        self.assertEqual(r.returncode, 1)
        self.assertIn("zf_low (low/) depends on zf_high", r.stdout)
        self.assertNotIn("zf_high (high/) depends", r.stdout)


if __name__ == "__main__":
    unittest.main()
