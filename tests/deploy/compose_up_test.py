#!/usr/bin/env python3
"""deploy_compose_up_test and build_libtorch2_test: the image built from
deploy/docker/Dockerfile as written, and the CPU stack of deploy/docker-compose.cpu.yml brought
up with docker-compose: learner, inference server, two actors and Prometheus (Grafana's image
cannot be had here: it stays in the file, out of the test).

1. Up: games flow, the model version rises, the inference server serves it, Prometheus scrapes
   every target (learner, inference, both actors, itself).
2. `docker kill` the inference server and one actor, `docker start` them: the targets come
   back, games flow again through the new inference server, on the learner's version.
3. Stop the actors (each says every game it finished was acked), then the learner: it stored
   at least every game acked to the actors over all their runs (the killed run's count read
   from its last progress line) and every game it received, and stored == counted. Start it again on its volume: it
   resumes with those games and its model version; started again, the actors' games take it on
   to newer versions.
`down -v` at the end, always. The stack runs small (7x7, 32 sims, 8 games per actor) so that
versions come quickly; the services, images, volumes and files are the real ones.

  --variant cpu        Debian 12, LibTorch 1.13: the image as users build it
  --variant libtorch2  Debian 13, LibTorch 2.6: the same Dockerfile with docs/DEPLOY.md's args
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import yaml

import docker_env as env
from docker_env import DOCKER, log, run

SOURCE = os.environ.get("ZF_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
COMPOSE_FILE = os.path.join(SOURCE, "deploy", "docker-compose.cpu.yml")

# Debian 13's names of the runtime libraries (docs/DEPLOY.md lists the same).
TRIXIE_RUNTIME = ("libgrpc++1.51t64 libgrpc29t64 libprotobuf32t64 libabsl20240722 libtorch2.6 "
                  "libopenblas0-pthread libprometheus-cpp-core1.0 libcpp-httplib0.18 libssl3t64 "
                  "zlib1g")
VARIANTS = {
    "cpu": {"suite": "bookworm", "tag": "zerofleet:cpu",
            "args": [f"ZF_WERROR={os.environ.get('ZF_WERROR', 'OFF')}"]},
    "libtorch2": {"suite": "trixie", "tag": "zerofleet:cpu-libtorch2",
                  "args": ["BUILD_IMAGE=debian:trixie", "RUNTIME_IMAGE=debian:trixie-slim",
                           f"RUNTIME_PACKAGES={TRIXIE_RUNTIME}"]},
}
# Appended to the learner's command (absl: the last value of a flag wins).
LEARNER_FLAGS = ["--sims=32", "--min-positions=300", "--batch-size=64", "--publish-every=5",
                 "--checkpoint-every=100", "--rating-budget=0"]
# Compiler caches of images whose compiler is not the checkout's, kept from run to run.
CACHE_ROOT = os.environ.get("ZF_DOCKER_CACHE_DIR", "/var/cache/zerofleet")
SETTINGS = {"ZF_BOARD_SIZE": "7", "ZF_PARALLEL_GAMES": "8", "ZF_ACTOR_THREADS": "1"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """One docker-compose project of the rendered CPU compose file, and its Prometheus."""

    def __init__(self, workdir, image, prometheus_image, name):
        self.name, self.port = name, free_port()
        environ = dict(os.environ, ZF_IMAGE=image, ZF_PROMETHEUS_IMAGE=prometheus_image,
                       **SETTINGS)
        rendered = yaml.safe_load(run(["docker-compose", "-f", COMPOSE_FILE, "config"],
                                      env=environ).stdout)
        services = rendered["services"]
        services["learner"]["command"] += LEARNER_FLAGS
        services["prometheus"]["ports"] = [f"127.0.0.1:{self.port}:9090"]
        self.file = os.path.join(workdir, "compose.yml")
        with open(self.file, "w") as f:
            yaml.safe_dump(rendered, f)

    def compose(self, *args, check=True, timeout=300):
        return run(["docker-compose", "-p", self.name, "-f", self.file, *args], check=check,
                   timeout=timeout)

    def ids(self, service):
        return self.compose("ps", "-q", service).stdout.split()

    def logs(self, service):
        return self.compose("logs", "--no-color", service).stdout

    def api(self, path):
        url = f"http://127.0.0.1:{self.port}{path}"
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.load(r)["data"]

    def value(self, expr):
        """The sum of a PromQL expression's samples; 0 when there are none."""
        res = self.api("/api/v1/query?query=" + urllib.parse.quote(expr))["result"]
        return sum(float(x["value"][1]) for x in res)

    def targets_up(self):
        up = {}
        for t in self.api("/api/v1/targets")["activeTargets"]:
            if t["health"] == "up":
                up[t["labels"]["job"]] = up.get(t["labels"]["job"], 0) + 1
        return up


def wait_for(what, check, timeout):
    """Polls check() -> (ok, detail) every 2 s; fails with the last detail after timeout."""
    t, detail = time.time(), "no answer yet"
    while time.time() - t < timeout:
        try:
            ok, detail = check()
            if ok:
                log(f"{what}: {detail} ({time.time() - t:.0f} s)")
                return
        except (OSError, ValueError, KeyError) as e:  # Prometheus not up yet
            detail = f"{type(e).__name__}: {e}"
        time.sleep(2)
    raise AssertionError(f"{what}: not within {timeout} s; last: {detail}")


ALL_UP = {"zerofleet-learner": 1, "zerofleet-inference": 1, "zerofleet-actor": 2, "prometheus": 1}


def fleet_state(stack):
    return {"games": stack.value("zerofleet_learner_games_received_total"),
            "version": stack.value("zerofleet_model_version"),
            "served": stack.value("max(zerofleet_inference_model_version)"),
            "evals": stack.value("sum(zerofleet_inference_evaluations_total)")}


def check_up(stack):
    stack.compose("up", "-d", "--no-build", "--scale", "actor=2", "learner", "inference",
                  "actor", "prometheus", timeout=600)
    wait_for("Prometheus scrapes every target", lambda: (stack.targets_up() == ALL_UP,
                                                         stack.targets_up()), 300)

    def trained():
        s = fleet_state(stack)
        return s["games"] >= 10 and s["version"] >= 2, s
    wait_for("games flow and the learner's model version rises", trained, 600)
    version = stack.value("zerofleet_model_version")
    wait_for(f"the inference server serves v{version:.0f} or newer",
             serves(stack, version), 120)


def serves(stack, version):
    """A check: the inference server serves `version` or newer. (Learner and server move on
    every second or so and are scraped apart, so asking for equality would be a race.)"""
    def check():
        s = fleet_state(stack)
        return s["served"] >= version, s
    return check


def check_kill_and_restart(stack):
    victims = stack.ids("inference") + stack.ids("actor")[:1]
    before = fleet_state(stack)
    run([DOCKER, "kill", *victims])
    log(f"docker kill: the inference server and one actor ({before})")
    time.sleep(5)
    run([DOCKER, "start", *victims])

    def recovered():
        s, up = fleet_state(stack), stack.targets_up()
        ok = (up == ALL_UP and s["games"] >= before["games"] + 5 and s["evals"] > 0
              and s["served"] > before["version"])
        return ok, {"targets": up, **s}
    wait_for("the fleet recovers after docker start", recovered, 300)


def acked_by(text):
    """Games the learner acked to one actor container over all its runs, from its log: each
    run's final "done" count; for a run killed without one, its last progress line's count (a
    lower bound). Also the last run's (finished, acked)."""
    total, last, final = 0, 0, None
    for line in text.splitlines():
        done = re.search(r"done: (\d+) games finished, (\d+) acked", line)
        if done:
            final = (int(done.group(1)), int(done.group(2)))
            total, last = total + final[1], 0
            continue
        progress = re.search(r"\| acked (\d+) \|", line)
        if progress:
            if int(progress.group(1)) < last:  # a new run after one that printed no "done"
                total += last
            last = int(progress.group(1))
    return total + last, final


def stop_actors(stack):
    """Stops the actors; each must have every finished game acked. Returns the games the
    learner acked to them, summed over their runs (the killed one's included)."""
    stack.compose("stop", "-t", "60", "actor", timeout=180)
    actors = stack.compose("ps", "-a", "-q", "actor").stdout.split()
    assert len(actors) == 2, f"expected 2 actor containers, found {len(actors)}"
    acked_total = 0
    for actor in actors:
        out = run([DOCKER, "logs", actor])
        acked, final = acked_by(out.stdout + out.stderr)
        assert final, f"actor {actor[:12]}: no final 'done' line"
        assert final[0] == final[1], f"actor {actor[:12]}: {final[0]} finished, {final[1]} acked"
        log(f"actor {actor[:12]} stopped: {final[0]} games finished, {final[1]} acked; "
            f"{acked} acked over its runs")
        acked_total += acked
    return acked_total


def received_settled(stack):
    """The learner's games received, once two scrapes 6 s apart agree."""
    last = None
    for _ in range(20):
        received = stack.value("zerofleet_learner_games_received_total")
        if received == last:
            return received
        last = received
        time.sleep(6)
    raise AssertionError(f"the learner's games received did not settle (last {last})")


def check_learner_restart(stack):
    acked = stop_actors(stack)
    received = received_settled(stack)
    version = stack.value("zerofleet_model_version")
    stack.compose("stop", "-t", "90", "learner", timeout=180)
    stored = re.findall(r"games stored (\d+), counted (\d+)", stack.logs("learner"))
    assert stored, "the learner's log has no 'games stored' line after stop"
    games_stored, counted = map(int, stored[-1])
    assert games_stored >= acked, f"stored {games_stored} < {acked} acked to the actors: lost"
    assert games_stored >= received, f"stored {games_stored} < {received:.0f} received: lost"
    assert games_stored == counted, f"stored {games_stored} != counted {counted}"
    log(f"learner stopped: {games_stored} games stored = counted, {received:.0f} received, "
        f"{acked} acked to the actors (the killed run's count from its last progress line), "
        f"model v{version:.0f}")
    stack.compose("start", "learner")

    found = []

    def resumed():
        m = re.findall(r"resumed from step (\d+) \(model v(\d+), (\d+) games", stack.logs("learner"))
        up = stack.targets_up().get("zerofleet-learner", 0) == 1
        found[:] = m[-1:]
        return bool(m) and up, m[-1] if m else "no 'resumed' line yet"
    wait_for("the learner resumes on its volume", resumed, 300)
    step, resumed_version, games = map(int, found[0])
    assert games == games_stored, f"resumed with {games} games, stored {games_stored}"
    assert resumed_version >= version, f"resumed at v{resumed_version} < v{version:.0f}"
    log(f"learner resumed: step {step}, model v{resumed_version}, {games} games")
    stack.compose("start", "actor")

    def trains_on():  # the resumed learner counts games from 0
        v = stack.value("zerofleet_model_version")
        games = stack.value("zerofleet_learner_games_received_total")
        return v > resumed_version and games > 0, (
            f"model v{v:.0f} (resumed at v{resumed_version}), {games:.0f} new games")
    wait_for("the actors start again and the resumed learner trains on", trains_on, 300)


def build(variant, workdir):
    v = VARIANTS[variant]
    env.ensure_debian_image(v["suite"])
    dockerfile = os.path.join(SOURCE, "deploy", "docker", "Dockerfile")
    context, cache = SOURCE, None
    if v["suite"] != "bookworm":  # another compiler: the checkout's .ccache cannot serve it
        cache = os.path.join(CACHE_ROOT, f"ccache-{v['suite']}")
        context = env.context_with_cache(SOURCE, cache, workdir)
    build_log = os.path.join(workdir, "build.log")
    secs = env.build_image(v["tag"], dockerfile, context, build_log, v["args"])
    if cache:
        try:
            env.save_cache(build_log, cache)
        except PermissionError as e:  # e.g. not root: the build stands, the cache is not kept
            log(f"compiler cache not kept ({e}; ZF_DOCKER_CACHE_DIR chooses the folder)")
    with open(build_log) as f:
        stats = " ".join(dict.fromkeys(  # ccache prints its totals twice
            re.sub(r"\s+", " ", l.strip()) for l in f if re.match(r"\s*(Hits|Misses):", l)))
    log(f"image {v['tag']} built in {secs:.0f} s (ccache: {stats or 'no stats'})")
    prometheus = f"zerofleet-test/prometheus:{v['suite']}"
    secs = env.build_image(prometheus, env.write_prometheus_dockerfile(workdir, v["suite"]),
                           workdir, os.path.join(workdir, "prometheus-build.log"))
    log(f"image {prometheus} (Debian's prometheus) built in {secs:.0f} s")
    return v["tag"], prometheus


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="cpu")
    parser.add_argument("--keep", action="store_true", help="leave the stack up on failure")
    parser.add_argument("--no-build", action="store_true",
                        help="use the images an earlier run built (when changing the checks)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix=f"zf-compose-{args.variant}-")
    env.ensure_engine(workdir)
    if args.no_build:
        image = VARIANTS[args.variant]["tag"]
        prometheus = f"zerofleet-test/prometheus:{VARIANTS[args.variant]['suite']}"
    else:
        image, prometheus = build(args.variant, workdir)
    stack = Stack(workdir, image, prometheus, f"zftest{args.variant}")
    stack.compose("down", "-v", "--remove-orphans", check=False)  # a previous run's leftovers
    ok = False
    try:
        check_up(stack)
        check_kill_and_restart(stack)
        check_learner_restart(stack)
        ok = True
    finally:
        if not ok:
            print(stack.compose("logs", "--no-color", "--tail", "15", check=False).stdout)
        if ok or not args.keep:
            stack.compose("down", "-v", "--remove-orphans", check=False)
    shutil.rmtree(workdir, ignore_errors=True)  # kept on failure, for its logs
    log(f"OK: {args.variant} image and stack")
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except (AssertionError, subprocess.TimeoutExpired, OSError, StopIteration) as e:
        log(f"FAILED: {type(e).__name__}: {e}")
        raise SystemExit(1)
