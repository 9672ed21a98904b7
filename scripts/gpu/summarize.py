#!/usr/bin/env python3
"""GPU check kit: gathers the outputs of scripts/gpu/run.sh in OUT_DIR into OUT_DIR/summary.json.

Usage: summarize.py OUT_DIR WALL_SECONDS. Missing outputs (a step that failed or was skipped)
become {"error": ...} entries; the step table says why.
"""
import glob
import json
import math
import os
import re
import sys


def last_json(path):
    """The last line of a command's --json output."""
    try:
        with open(path) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError) as e:
        return {"error": f"{os.path.basename(path)}: {e}"}


def read_lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except OSError:
        return []


def steps(out):
    table = {}
    for line in read_lines(os.path.join(out, "steps.tsv")):
        name, status, seconds = line.split("\t")
        table[name] = {"status": status, "seconds": int(seconds)}
    return table


def reference_workload(out, step, log):
    """Seconds for one iteration of N games x S sims, read off train's iteration line."""
    games, sims = (read_lines(os.path.join(out, "reference_workload.txt")) or ["0 0"])[0].split()
    result = {"games": int(games), "sims_per_move": int(sims), "reference_seconds": 11.0,
              "reference": "Python/Numba trainer, 64 games x 400 sims, 96 GB GPU"}
    if step:
        result["seconds_for_the_iteration_with_startup"] = step["seconds"]
    for line in read_lines(os.path.join(out, log)):
        m = re.search(r"^iter 1/\S+ games (\d+) positions (\d+).*sims/s (\d+) evals/s (\d+) "
                      r"batch (\d+)", line)
        if m:
            g, positions, sps, eps, batch = map(int, m.groups())
            result.update(finished=True, moves_per_game=round(positions / max(g, 1), 1),
                          sims_per_second=sps, evals_per_second=eps, mean_batch=batch,
                          # self-play alone: every move's simulations at the measured rate
                          selfplay_seconds=round(positions * int(sims) / max(sps, 1), 1))
            continue
        # Stopped at the step's limit: train's last progress line says how far it got.
        m = re.search(r"^iter 0/\S+ \| games (\d+) .*\| sims/s (\d+) \| evals/s (\d+)", line)
        if m and not result.get("finished"):
            g, sps, eps = map(int, m.groups())
            result.update(finished=False, games_done_at_the_limit=g, sims_per_second=sps,
                          evals_per_second=eps)
    return result


def training(out):
    rows = [json.loads(l) for l in read_lines(os.path.join(out, "train_run/metrics.jsonl"))
            if l.strip()]
    loss = [r["policy_loss"] + r["value_loss"] for r in rows]
    return {"steps": rows[-1]["step"] if rows else 0,
            "first_loss": loss[0] if loss else None, "last_loss": loss[-1] if loss else None,
            "loss_fell": bool(loss) and loss[-1] < loss[0],
            "finite": bool(loss) and all(math.isfinite(x) for x in loss),
            "last_line": (read_lines(os.path.join(out, "train.log")) or [""])[-1]}


def main():
    out, wall = sys.argv[1], int(sys.argv[2])
    step_table = steps(out)
    machine = dict(l.split(": ", 1) for l in read_lines(os.path.join(out, "machine.txt"))
                   if ": " in l)
    summary = {
        "machine": machine,
        "wall_seconds": wall,
        "steps": step_table,
        "bench_nn": last_json(os.path.join(out, "bench_nn.json")),
        "reference_workload": {
            name: reference_workload(out, step_table.get("reference_workload_" + name),
                                     f"ref_{name}.log")
            for name in ("t1", "leaves4", "t2")
            if os.path.exists(os.path.join(out, f"ref_{name}.log"))},
        "selfplay": {os.path.basename(p)[len("selfplay_"):-len(".json")]: last_json(p)
                     for p in sorted(glob.glob(os.path.join(out, "selfplay_*.json")))},
        "training": training(out),
        "fleet": read_lines(os.path.join(out, "fleet.log"))[-6:],
    }
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary)[:3000])


if __name__ == "__main__":
    main()
