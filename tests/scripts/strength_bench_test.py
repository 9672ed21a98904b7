#!/usr/bin/env python3
"""scripts/strength_bench.py still trains, rates and reports (a tiny setting; no figures).

usage: strength_bench_test.py SOURCE_DIR BIN_DIR
"""
import json
import subprocess
import sys
import tempfile

src, bin_dir = sys.argv[1], sys.argv[2]
with tempfile.TemporaryDirectory(prefix="zf_strength_bench_") as tmp:
    ref_run = tmp + "/ref"
    # A "reference" model: a few seconds of training.
    subprocess.run([bin_dir + "/zerofleet", "train", "--run-dir", ref_run, "--board-size", "5",
                    "--win-length", "4", "--sims", "8", "--num-iterations", "2",
                    "--games-per-iter", "8", "--rating-budget", "0"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    bench = ["python3", src + "/scripts/strength_bench.py", "--bin", bin_dir, "--minutes", "0.4",
             "--board-size", "5", "--win-length", "4", "--games", "4", "--playouts", "8",
             "--refs", ref_run + "/model.zfm", "--run-dir", tmp + "/run", "--quiet"]
    cmd = bench + ["--json", "--", "--sims", "16", "--min-positions", "100", "--batch-size", "32",
           "--publish-every", "5", "--rating-budget", "1", "--rating-playouts", "8",
           "--rating-games", "2"]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         timeout=240)
    if out.returncode != 0:
        print(out.stderr[-3000:])
        sys.exit("FAIL: strength_bench.py exited %d" % out.returncode)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    final = {r["opponent"]: r for r in result["final"]}
    assert set(final) == {"model.zfm", "uniform@8"}, final.keys()
    for r in final.values():
        assert r["wins"] + r["draws"] + r["losses"] == 4, r
        assert 0 <= r["score"] <= 1, r
    assert result["elo_vs_minutes"], "no Elo-vs-minutes rows: " + out.stderr[-2000:]
    for row in result["elo_vs_minutes"]:
        assert row["minutes"] >= 0 and row["version"] >= 1, row
    # The human table too.
    table = subprocess.run(bench + ["--skip-train"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=240)
    assert table.returncode == 0, table.stderr[-2000:]
    assert "Elo while training" in table.stdout and "uniform@8" in table.stdout, table.stdout
print("strength_bench_test: ok")
