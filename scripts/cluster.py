#!/usr/bin/env python3
"""The whole zerofleet topology on one machine, as separate processes on loopback.

usage: scripts/cluster.py [--bin build/bin] [--run-dir runs/cluster] [--actors 2]
                          [--port 50051] [--seconds S] [run flags for the learner...]

Starts zerofleet-learner (run flags such as --preset cpu --board-size 15 go to it; actors get
them from the learner), one zerofleet-inference-server following the learner's models, and N
zerofleet-actor, each with a /metrics endpoint. Shows their combined progress (one updating line
on a terminal, a line every 10 s otherwise). Ctrl-C (or --seconds) stops them all: actors first,
so their finished games reach the learner, then the inference server and the learner (which
writes a checkpoint). A process that dies on its own stops the cluster with its log's tail.
Logs: <run-dir>/logs/<process>.log.
"""
import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zf_fleet import Fleet, free_port, scrape, wait_for  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default="build/bin")
    ap.add_argument("--run-dir", default="runs/cluster")
    ap.add_argument("--actors", type=int, default=2)
    ap.add_argument("--port", type=int, default=0, help="learner port (0: a free one)")
    ap.add_argument("--seconds", type=float, default=0, help="stop after this long (0: Ctrl-C)")
    args, run_flags = ap.parse_known_args()
    if args.actors < 1:
        ap.error("--actors must be at least 1")
    for binary in ("zerofleet-learner", "zerofleet-inference-server", "zerofleet-actor"):
        if not os.access(os.path.join(args.bin, binary), os.X_OK):
            ap.error(f"{os.path.join(args.bin, binary)} not found: build first (scripts/build.sh)")
    logdir = os.path.join(args.run_dir, "logs")
    os.makedirs(logdir, exist_ok=True)
    stop = []
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))

    fleet = Fleet(logdir)
    lport = args.port or free_port()
    lm, iport, im = free_port(), free_port(), free_port()
    device = run_flags[run_flags.index("--device") + 1] if "--device" in run_flags else "auto"
    fleet.start("learner", [os.path.join(args.bin, "zerofleet-learner"), "--run-dir",
                            args.run_dir, "--port", str(lport), "--metrics-port", str(lm)]
                + run_flags)
    wait_for(lambda: scrape(lm) or fleet.dead(), 300, "the learner")
    fleet.start("inference", [os.path.join(args.bin, "zerofleet-inference-server"), "--port",
                              str(iport), "--learner", f"127.0.0.1:{lport}", "--metrics-port",
                              str(im), "--device", device])
    actor_ports = [free_port() for _ in range(args.actors)]
    for i, port in enumerate(actor_ports):
        fleet.start(f"actor{i}", [os.path.join(args.bin, "zerofleet-actor"), "--learner",
                                  f"127.0.0.1:{lport}", "--inference", f"127.0.0.1:{iport}",
                                  "--metrics-port", str(port)])
    print(f"cluster: learner 127.0.0.1:{lport} (metrics :{lm}), inference 127.0.0.1:{iport} "
          f"(metrics :{im}), {args.actors} actors; logs in {logdir}; Ctrl-C stops", flush=True)

    tty = sys.stdout.isatty()
    start = last_line = time.time()
    prev_sims, prev_t = 0.0, time.time()
    status = 0
    while not stop:
        if args.seconds and time.time() - start >= args.seconds:
            break
        dead = fleet.dead()
        if dead:
            name, code = dead[0]
            print(f"\ncluster: {name} exited with code {code}; stopping all. Its log ends:\n"
                  + fleet.log_tail(name), flush=True)
            status = 1
            break
        time.sleep(1)
        learner, inference = scrape(lm), scrape(im)
        actors = [scrape(p) for p in actor_ports]
        sims = sum(a.get("zerofleet_selfplay_simulations_total", 0) for a in actors)
        now = time.time()
        rate = (sims - prev_sims) / max(now - prev_t, 1e-9)
        prev_sims, prev_t = sims, now
        evals = inference.get("zerofleet_inference_evaluations_total", 0)
        batches = inference.get("zerofleet_inference_batches_total", 0)
        line = (f"games {learner.get('zerofleet_learner_games_received_total', 0):.0f} | "
                f"step {learner.get('zerofleet_learner_train_steps_total', 0):.0f} | "
                f"model v{learner.get('zerofleet_model_version', 0):.0f} "
                f"(served v{inference.get('zerofleet_inference_model_version', 0):.0f}) | "
                f"sims/s {rate:.0f} | batch {evals / batches if batches else 0:.1f} | "
                f"actors up {sum(1 for a in actors if a)}/{len(actors)} | "
                f"acked {sum(a.get('zerofleet_actor_games_acked_total', 0) for a in actors):.0f}")
        if tty:
            print("\r\033[K" + line, end="", flush=True)
        elif now - last_line >= 10:
            print(line, flush=True)
            last_line = now
    print("\ncluster: stopping (actors first)", flush=True)
    codes = fleet.stop()
    print("cluster: exit codes " + ", ".join(f"{n} {c}" for n, c in codes.items()), flush=True)
    if any(c != 0 for c in codes.values()):
        status = status or 1
    return status


if __name__ == "__main__":
    sys.exit(main())
