#!/usr/bin/env python3
"""Time-to-strength benchmark: train from scratch for T minutes, then rate the result.

  python3 scripts/strength_bench.py                       # 8x8 k=5 freestyle, 20 minutes
  python3 scripts/strength_bench.py --minutes 60 --board-size 15
  python3 scripts/strength_bench.py --json -- --replay-ratio 4   # flags after -- go to train

1. `zerofleet train` runs for --minutes on a fresh run dir (stopped with SIGINT: it writes a
   checkpoint and model.zfm). Its rater tracks Elo while it trains (anchors: the net-less
   search at 100/400/1600 playouts, 400 = Elo 0, plus the reference models as frozen anchors).
2. The Elo-vs-minutes table comes from the run's ratings (`zerofleet ratings RUN --json`).
3. The final model plays --games games (built-in balanced openings, both colours, a few sampled
   moves for variety) at --playouts per move against each reference model and the net-less
   search at the same playouts: W/D/L, score and Elo with a 95% interval.

References: ../shared/strength/ref-8x8k5-20min.zfm and ref-8x8k5-45min.zfm (today's defaults at
commit 3eba556, made on a 2-core Zen 3). On another CPU, equal wall-clock means regenerating
them there: --regenerate-refs builds 3eba556 in a git worktree and trains it for --ref-minutes.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_REFS = [os.path.join(ROOT, "..", "shared", "strength", f"ref-8x8k5-{m}min.zfm")
                for m in (20, 45)]
REF_COMMIT = "3eba556"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def rules_flags(a):
    return ["--board-size", str(a.board_size), "--win-length", str(a.win_length),
            "--rule", a.rule]


def train(zerofleet, run_dir, minutes, a, extra, refs):
    """Runs `zerofleet train` for `minutes`, stops it with SIGINT; returns its last lines."""
    cmd = [zerofleet, "train", "--run-dir", run_dir] + rules_flags(a)
    if refs:
        cmd += ["--rating-anchors", ",".join(refs)]
    cmd += extra
    log("train: " + " ".join(cmd) + f"  ({minutes:g} min)")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    lines = []

    def read():
        for line in proc.stdout:
            line = line.rstrip("\n")
            if line.strip():
                lines.append(line)
                if not a.quiet:
                    log("  " + line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=minutes * 60)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)  # stops with a checkpoint and model.zfm
        proc.wait()
    reader.join(timeout=10)
    if proc.returncode != 0:
        sys.exit(f"strength_bench: train exited {proc.returncode}: " + " | ".join(lines[-3:]))
    return lines


def evaluate(zerofleet, model, opponent, a):
    cmd = [zerofleet, "evaluate", "--model1", model, "--model2", opponent, "--sims",
           str(a.playouts), "--games", str(a.games), "--sample-moves", "2", "--json"]
    cmd += rules_flags(a)
    log("evaluate: " + " ".join(cmd))
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if out.returncode != 0:
        sys.exit(f"strength_bench: evaluate failed: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def regenerate_refs(a, out_dir):
    """Builds commit 3eba556 in a worktree and trains today's defaults for --ref-minutes."""
    tree = os.path.join(out_dir, "ref-src")
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", tree, REF_COMMIT],
                   check=True)
    subprocess.run(["cmake", "-S", tree, "-B", os.path.join(tree, "build"), "-G", "Ninja",
                    "-DCMAKE_BUILD_TYPE=Release", "-DZF_BUILD_TESTS=OFF", "-DZF_BUILD_BENCH=OFF"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", os.path.join(tree, "build"), "zerofleet"], check=True)
    binary = os.path.join(tree, "build", "bin", "zerofleet")
    refs = []
    for minutes in a.ref_minutes:
        run = os.path.join(out_dir, f"ref-{minutes:g}min")
        train(binary, run, minutes, a, [], [])
        refs.append(os.path.join(run, "model.zfm"))
    return refs


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Flags after -- are passed to `zerofleet train`.")
    p.add_argument("--minutes", type=float, default=20, help="training time (default 20)")
    p.add_argument("--board-size", type=int, default=8)
    p.add_argument("--win-length", type=int, default=5)
    p.add_argument("--rule", default="freestyle")
    p.add_argument("--games", type=int, default=200,
                   help="final games per opponent (200: about +-50 Elo near 50%%)")
    p.add_argument("--playouts", type=int, default=400, help="playouts per move, final games")
    p.add_argument("--refs", default=None,
                   help="comma-separated reference models (default: the two in ../shared)")
    p.add_argument("--regenerate-refs", action="store_true",
                   help=f"train references from commit {REF_COMMIT} on this machine first")
    p.add_argument("--ref-minutes", default="20,45", help="with --regenerate-refs")
    p.add_argument("--run-dir", default=None, help="default: a new temporary folder")
    p.add_argument("--skip-train", action="store_true", help="rate an existing --run-dir")
    p.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--quiet", action="store_true", help="do not echo training lines")
    args, extra = p.parse_known_args()
    extra = [e for e in extra if e != "--"]
    args.ref_minutes = [float(m) for m in args.ref_minutes.split(",") if m]
    zerofleet = os.path.join(args.bin, "zerofleet")
    if not os.access(zerofleet, os.X_OK):
        sys.exit(f"strength_bench: {zerofleet} not found (build first: bash scripts/build.sh)")
    run_dir = args.run_dir or tempfile.mkdtemp(prefix="zf-strength-")
    if args.refs is not None:
        refs = [r for r in args.refs.split(",") if r]
    elif args.board_size == 8 and args.win_length == 5 and args.rule == "freestyle":
        refs = [r for r in DEFAULT_REFS if os.path.exists(r)]
    else:
        refs = []
    if args.regenerate_refs:
        refs = regenerate_refs(args, os.path.join(run_dir, "refs"))
    for r in refs:
        if not os.path.exists(r):
            sys.exit(f"strength_bench: reference model {r} not found")

    result = {"minutes": args.minutes, "rules": f"{args.board_size}x{args.board_size} "
              f"k={args.win_length} {args.rule}", "run_dir": run_dir, "train_flags": extra,
              "playouts": args.playouts}
    if not args.skip_train:
        lines = train(zerofleet, run_dir, args.minutes, args, extra, refs)
        result["last_lines"] = lines[-3:]
    model = os.path.join(run_dir, "model.zfm")
    ratings = subprocess.run([zerofleet, "ratings", run_dir, "--json"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    history = json.loads(ratings.stdout).get("history", []) if ratings.returncode == 0 else []
    result["elo_vs_minutes"] = history
    final = []
    for opponent in refs + ["uniform"]:
        r = evaluate(zerofleet, model, opponent, args)
        r["opponent"] = os.path.basename(opponent) if opponent != "uniform" else \
            f"uniform@{args.playouts}"
        final.append(r)
    result["final"] = final

    if args.json:
        print(json.dumps(result))
        return
    print(f"\ntime-to-strength: {result['rules']}, {args.minutes:g} min, run {run_dir}")
    print("\nElo while training (net-less search at 400 playouts = 0; 95% interval):")
    print(f"{'minutes':>8} {'version':>8} {'games':>8} {'steps':>7} {'Elo':>8}  interval")
    for h in history:
        print(f"{h['minutes']:8.1f} {h['version']:8d} {h['games']:8d} {h['step']:7d} "
              f"{fmt(h['elo']):>8}  [{fmt(h['elo_low'])}, {fmt(h['elo_high'])}]")
    print(f"\nfinal model vs references ({args.games} games each, {args.playouts} playouts):")
    print(f"{'opponent':>24} {'W':>4} {'D':>4} {'L':>4} {'score':>7} {'Elo':>8}  interval")
    for r in final:
        print(f"{r['opponent']:>24} {r['wins']:4d} {r['draws']:4d} {r['losses']:4d} "
              f"{100 * r['score']:6.1f}% {fmt(r['elo']):>8}  [{fmt(r['elo_low'])}, "
              f"{fmt(r['elo_high'])}]")


def fmt(v):
    if v is None or isinstance(v, str):
        return str(v if v is not None else "inf")
    return f"{v:+.0f}"


if __name__ == "__main__":
    main()
