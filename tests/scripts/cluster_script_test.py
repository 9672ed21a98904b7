"""scripts/cluster.py as a user runs it: the whole topology starts, reports combined progress,
trains (games and steps rise), and stops cleanly with every process exiting 0.

usage: cluster_script_test.py SOURCE_DIR BIN_DIR
"""
import re
import subprocess
import sys
import tempfile

source, bindir = sys.argv[1], sys.argv[2]
run_dir = tempfile.mkdtemp(prefix="zf-cluster-script-")
cmd = [sys.executable, f"{source}/scripts/cluster.py", "--bin", bindir, "--run-dir", run_dir,
       "--actors", "2", "--seconds", "40", "--preset", "cpu", "--board-size", "7",
       "--win-length", "4", "--sims", "16", "--parallel-games", "8", "--min-positions", "100",
       "--batch-size", "32", "--device", "cpu"]
p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=240)
out = p.stdout
print(out)
assert p.returncode == 0, f"cluster.py exited {p.returncode}"
lines = [l for l in out.splitlines() if l.startswith("games ")]
assert len(lines) >= 2, "expected progress lines every 10 s"
games = [int(re.search(r"^games (\d+)", l).group(1)) for l in lines]
steps = [int(re.search(r"step (\d+)", l).group(1)) for l in lines]
assert games[-1] > 0 and games[-1] >= games[0], f"games did not rise: {games}"
assert "actors up 2/2" in lines[-1], lines[-1]
assert re.search(r"exit codes actor1 0, actor0 0, inference 0, learner 0", out), "exit codes"
print(f"OK: games {games}, steps {steps}")
