#!/usr/bin/env python3
"""Distributed self-play vs the all-in-one trainer, same net and settings.

usage: scripts/bench_distributed.py [--bin build/bin] [--seconds 60] [--warmup 15]
                                    [--actors 2] [--games-per-actor 64] [--actor-threads T]
                                    [--inference-args "..."] [--only both|all-in-one|distributed]
                                    [extra run flags...]

1. All-in-one: `zerofleet train` with --metrics-port; sims/s from
   zerofleet_selfplay_simulations_total over the measuring window (after a warm-up).
2. Distributed: zerofleet-learner, zerofleet-inference-server, N zerofleet-actor on loopback
   with the same run flags; sims/s summed over the actors' counters over the same window.
Prints both, their ratio (target >= 0.85), and the inference server's batch-size distribution
and queue wait under that load. Every process is stopped at the end (also on errors).
"""
import argparse
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zf_fleet import Fleet, free_port, scrape, wait_for  # noqa: E402


def window_rate(ports, metric, warmup, seconds):
    """Counter increase per second summed over `ports`, after `warmup` seconds."""
    time.sleep(warmup)
    start = sum(scrape(p).get(metric, 0) for p in ports)
    t0 = time.time()
    time.sleep(seconds)
    end = sum(scrape(p).get(metric, 0) for p in ports)
    return (end - start) / (time.time() - t0)


def histogram(samples, name):
    """[(upper bound, count in bucket)] and (sum, count) of a histogram from a scrape."""
    buckets = []
    for key, value in samples.items():
        m = re.fullmatch(name + r'_bucket\{le="([^"]+)"\}', key)
        if m:
            buckets.append((float(m.group(1)), value))
    buckets.sort()
    per_bucket, previous = [], 0.0
    for bound, cumulative in buckets:
        per_bucket.append((bound, cumulative - previous))
        previous = cumulative
    return per_bucket, samples.get(name + "_sum", 0.0), samples.get(name + "_count", 0.0)


def quantile(per_bucket, q):
    total = sum(c for _, c in per_bucket)
    if total == 0:
        return float("nan")
    running = 0.0
    for bound, count in per_bucket:
        running += count
        if running >= q * total:
            return bound
    return float("inf")


def all_in_one(args, run_flags, fleet, logdir):
    """sims/s of `zerofleet train` with every game of the fleet in one process."""
    mport = free_port()
    fleet.start("train", [os.path.join(args.bin, "zerofleet"), "train", "--run-dir",
                          os.path.join(logdir, "train-run"), "--metrics-port", str(mport),
                          "--parallel-games", str(args.actors * args.games_per_actor),
                          "--threads", "2"] + run_flags)
    wait_for(lambda: scrape(mport), 120, "zerofleet train metrics")
    rate = window_rate([mport], "zerofleet_selfplay_simulations_total", args.warmup, args.seconds)
    fleet.stop()
    return rate


def distributed(args, run_flags, fleet, logdir):
    """(sims/s summed over the actors, inference scrape before, after the window)."""
    lport, iport, lm, im = free_port(), free_port(), free_port(), free_port()
    # Same run flags: the learner hands them to the actors.
    fleet.start("learner", [os.path.join(args.bin, "zerofleet-learner"), "--run-dir",
                            os.path.join(logdir, "learner-run"), "--port", str(lport),
                            "--metrics-port", str(lm), "--parallel-games",
                            str(args.games_per_actor)] + run_flags)
    wait_for(lambda: scrape(lm), 120, "learner metrics")
    device = run_flags[run_flags.index("--device") + 1] if "--device" in run_flags else "auto"
    fleet.start("inference", [os.path.join(args.bin, "zerofleet-inference-server"), "--port",
                              str(iport), "--learner", f"127.0.0.1:{lport}", "--metrics-port",
                              str(im), "--device", device] + args.inference_args.split())
    wait_for(lambda: scrape(im), 120, "inference server metrics")
    actor_ports = []
    for i in range(args.actors):
        actor_ports.append(free_port())
        threads = ["--threads", str(args.actor_threads)] if args.actor_threads else []
        fleet.start(f"actor{i}", [os.path.join(args.bin, "zerofleet-actor"), "--learner",
                                  f"127.0.0.1:{lport}", "--inference", f"127.0.0.1:{iport}",
                                  "--metrics-port", str(actor_ports[-1])] + threads)
    wait_for(lambda: all(scrape(p) for p in actor_ports), 120, "actor metrics")
    before = scrape(im)
    rate = window_rate(actor_ports, "zerofleet_selfplay_simulations_total", args.warmup,
                       args.seconds)
    after = scrape(im)
    fleet.stop()
    return rate, before, after


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default="build/bin")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=15)
    ap.add_argument("--actors", type=int, default=2)
    ap.add_argument("--games-per-actor", type=int, default=64)
    ap.add_argument("--actor-threads", type=int, default=0,
                    help="self-play threads per actor (= leaf batches in flight per actor); "
                         "0 = the actor's default")
    ap.add_argument("--inference-args", default="",
                    help="extra flags for zerofleet-inference-server (quoted); default: none")
    ap.add_argument("--only", choices=["both", "all-in-one", "distributed"], default="both",
                    help="run one side only (e.g. to profile it); the ratio needs both")
    args, run_flags = ap.parse_known_args()
    if not run_flags:
        run_flags = ["--preset", "cpu", "--device", "cpu"]
    total_games = args.actors * args.games_per_actor
    logdir = tempfile.mkdtemp(prefix="zf-bench-distributed-")
    fleet = Fleet(logdir)
    aio = dist = float("nan")
    before = after = {}
    try:
        if args.only != "distributed":
            aio = all_in_one(args, run_flags, fleet, logdir)
        if args.only != "all-in-one":
            dist, before, after = distributed(args, run_flags, fleet, logdir)
    finally:
        fleet.stop()

    threads = args.actor_threads or "default"
    print(f"flags: {' '.join(run_flags)}; inference server: {args.inference_args or 'defaults'}; "
          f"{args.actors} actors x {args.games_per_actor} games x {threads} threads "
          f"(all-in-one: {total_games} games); window {args.seconds:.0f} s after {args.warmup:.0f} s")
    if args.only != "distributed":
        print(f"all-in-one (zerofleet train) sims/s : {aio:10.0f}")
    if args.only != "all-in-one":
        print(f"distributed (learner + inference + {args.actors} actors) sims/s : {dist:10.0f}")
    if args.only == "both":
        print(f"ratio distributed / all-in-one       : {dist / aio if aio else float('nan'):10.3f}"
              "   (target >= 0.85)")
    diff = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    sizes, size_sum, size_count = histogram(diff, "zerofleet_inference_batch_size")
    waits, wait_sum, wait_count = histogram(diff, "zerofleet_inference_queue_wait_seconds")
    if size_count:
        print(f"inference batches in the window: {size_count:.0f}, mean size "
              f"{size_sum / size_count:.1f}, p50 <= {quantile(sizes, 0.5):.0f}, "
              f"p99 <= {quantile(sizes, 0.99):.0f}")
        print("batch size distribution (upper bound: batches): " +
              ", ".join(f"{b:.0f}: {c:.0f}" for b, c in sizes if c))
    if wait_count:
        print(f"queue wait per request: mean {1e3 * wait_sum / wait_count:.2f} ms, "
              f"p50 <= {1e3 * quantile(waits, 0.5):.2f} ms, p99 <= {1e3 * quantile(waits, 0.99):.2f} ms")
    print(f"logs: {logdir}")


if __name__ == "__main__":
    sys.exit(main())
