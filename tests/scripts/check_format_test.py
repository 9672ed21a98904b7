#!/usr/bin/env python3
"""scripts/check_format.sh names a misformatted file and passes once it is fixed."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "../.."))


@unittest.skipIf(shutil.which("clang-format") is None, "clang-format not installed")
class CheckFormatTest(unittest.TestCase):
    def test_names_the_file_then_fixes_it(self):
        root = tempfile.mkdtemp()
        os.makedirs(os.path.join(root, "scripts"))
        shutil.copy(os.path.join(REPO, "scripts/check_format.sh"), os.path.join(root, "scripts"))
        shutil.copy(os.path.join(REPO, ".clang-format"), root)
        with open(os.path.join(root, "good.cc"), "w") as f:
            f.write("int Good() { return 1; }\n")
        with open(os.path.join(root, "bad.h"), "w") as f:
            f.write("int  Bad( ){return 2;}\n")
        subprocess.run(["git", "init", "-q", root], check=True)
        subprocess.run(["git", "-C", root, "add", "."], check=True)
        script = os.path.join(root, "scripts/check_format.sh")
        r = subprocess.run(["bash", script], capture_output=True, text=True)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("bad.h", r.stdout)
        self.assertNotIn("good.cc", r.stdout)
        self.assertIn("1 of 2 files differ", r.stdout)
        subprocess.run(["bash", script, "--fix"], check=True, capture_output=True)
        r = subprocess.run(["bash", script], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
