"""scripts/bench_distributed.py (the issue's fleet-vs-all-in-one benchmark) on a tiny setting:
both sides run, report positive sims/s and a ratio, the inference server's batch sizes and
queue wait are read from its metrics, and the script exits 0. Measures nothing; checks the
benchmark still works.

usage: bench_distributed_test.py SOURCE_DIR BIN_DIR
"""
import math
import re
import subprocess
import sys

source, bindir = sys.argv[1], sys.argv[2]
cmd = [sys.executable, f"{source}/scripts/bench_distributed.py", "--bin", bindir,
       "--seconds", "3", "--warmup", "2", "--games-per-actor", "8",
       "--preset", "cpu", "--device", "cpu", "--board-size", "7", "--win-length", "4",
       "--sims", "16"]
p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=240)
out = p.stdout
print(out)
assert p.returncode == 0, f"bench_distributed.py exited {p.returncode}"


def number(pattern):
    m = re.search(pattern, out, re.M)
    assert m, f"no line matching {pattern!r}"
    return float(m.group(1))


aio = number(r"^all-in-one \(zerofleet train\) sims/s\s*:\s*([0-9.]+)")
dist = number(r"^distributed \(learner \+ inference \+ 2 actors\) sims/s\s*:\s*([0-9.]+)")
ratio = number(r"^ratio distributed / all-in-one\s*:\s*([0-9.]+)")
assert aio > 0 and dist > 0, (aio, dist)
assert math.isclose(ratio, dist / aio, rel_tol=0.01, abs_tol=0.001), (ratio, dist / aio)
assert number(r"^inference batches in the window: (\d+)") > 0
assert re.search(r"^batch size distribution \(upper bound: batches\): \d+: \d+", out, re.M)
assert re.search(r"^queue wait per request: mean [0-9.]+ ms", out, re.M)
print(f"OK: all-in-one {aio:.0f}, distributed {dist:.0f}, ratio {ratio:.3f}")
