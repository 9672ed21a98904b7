"""An actor on "another machine": its own network namespace, joined to the host by a veth pair,
playing against a learner and an inference server on the host. Cutting the link stalls it;
restoring the link makes it reconnect and go on, and nothing the learner acked is lost.

  host namespace                               namespace zfnsPID
  learner 0.0.0.0:P (actor uses A.5:P)
  inference 0.0.0.0:Q (actor uses A.1:Q)
  zfhPID A.1/30 + A.5/32  <==== veth ====>  zfnPID A.2/30 (route A.5 via A.1)   zerofleet-actor

A is a /29 in 10.213.0.0/16 chosen by pid. The host scrapes the actor's /metrics across the
veth, or from inside the namespace while the link is cut.

Cut 1: the link down 8 s, shorter than keepalive: nothing is acked meanwhile, and the actor
  goes on once it is back. (Measured: 10-25 s later, not at once: the host's TCP retransmit
  timer backed off while it had no route; the old stream resumes at its next retransmission,
  or keepalive or the 30 s request timeout drops it and the actor opens a new one.)
Cut 2: the link down 35 s, longer than keepalive (20 s + 10 s) and the request timeout (30 s):
  the actor's inference calls fail and are retried, and it reconnects once the link is back.
Cut 3: only the route to the learner's address, 35 s: self-play goes on, finished games pile
  up unacked while submitting fails, and all of them are acked once the route is back.
At the end the actor exits 0 and every game it says was acked is stored by the learner, whose
stored and counted games agree (a game resent after a lost ack is not counted twice).

Needs root (network namespaces, veth): exits 77 (skipped) where they cannot be made.

usage: netns_test.py SOURCE_DIR BIN_DIR
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77
source, bindir = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(source, "scripts"))
from zf_fleet import Fleet, free_port, scrape, wait_for  # noqa: E402

T0 = time.time()


def log(msg):
    print(f"[{time.time() - T0:6.1f} s] {msg}", flush=True)


def sh(*argv, check=True):
    """Runs an `ip ...` command; its stderr joined into the error on failure."""
    p = subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {p.stderr.strip() or 'exit ' + str(p.returncode)}")
    return p


def tail(fleet, name, lines):
    """The last lines of a process's log, progress updates (ended by \\r) counted as lines."""
    with open(os.path.join(fleet.logdir, name + ".log"), errors="replace") as f:
        return "\n".join(f.read().replace("\r", "\n").splitlines()[-lines:])


def pick_addresses(pid):
    """A /29 in 10.213.0.0/16 chosen by pid, none of it on this host yet: .1 and .2 are the
    link (a /30), .5 the learner's address on the host side. (host, namespace, learner)."""
    used = sh("ip", "-o", "-4", "addr", "show").stdout
    for i in range(64):
        base = ((pid + i) % 8192) * 8
        addrs = [f"10.213.{base // 256}.{base % 256 + k}" for k in range(8)]
        if not any(re.search(rf"inet {re.escape(a)}/", used) for a in addrs):
            return addrs[1], addrs[2], addrs[5]
    raise RuntimeError("no free /29 in 10.213.0.0/16")


class Link:
    """The namespace and the veth pair; remove() undoes whatever was made."""

    def __init__(self, pid):
        self.ns, self.host_if, self.ns_if = f"zfns{pid}", f"zfh{pid}", f"zfn{pid}"
        self.made_ns = self.made_veth = False

    def create(self, host_ip, ns_ip, learner_ip):
        self.host_ip, self.learner_ip = host_ip, learner_ip
        sh("ip", "netns", "add", self.ns)
        self.made_ns = True
        sh("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if,
           "netns", self.ns)
        self.made_veth = True
        sh("ip", "addr", "add", f"{host_ip}/30", "dev", self.host_if)
        sh("ip", "link", "set", self.host_if, "up")
        sh("ip", "-n", self.ns, "addr", "add", f"{ns_ip}/30", "dev", self.ns_if)
        sh("ip", "-n", self.ns, "link", "set", self.ns_if, "up")
        sh("ip", "-n", self.ns, "link", "set", "lo", "up")
        sh("ip", "addr", "add", f"{learner_ip}/32", "dev", self.host_if)
        self.learner_route(True)

    def set(self, up):
        sh("ip", "link", "set", self.host_if, "up" if up else "down")

    def learner_route(self, up):
        """Cuts (or restores) only the namespace's route to the learner's address."""
        if up:
            sh("ip", "-n", self.ns, "route", "replace", f"{self.learner_ip}/32", "via",
               self.host_ip)
        else:
            sh("ip", "-n", self.ns, "route", "replace", "unreachable", f"{self.learner_ip}/32")

    def remove(self):
        if self.made_veth:
            sh("ip", "link", "del", self.host_if, check=False)  # takes the peer with it
        if self.made_ns:
            sh("ip", "netns", "del", self.ns, check=False)


def main():
    for binary in ("zerofleet-learner", "zerofleet-inference-server", "zerofleet-actor"):
        if not os.access(os.path.join(bindir, binary), os.X_OK):
            print(f"{os.path.join(bindir, binary)} not found: build it first")
            return 1
    if shutil.which("ip") is None:
        print("SKIP: no `ip` command (iproute2)")
        return SKIP
    pid = os.getpid()
    link = Link(pid)
    try:
        host_ip, ns_ip, learner_ip = pick_addresses(pid)
        link.create(host_ip, ns_ip, learner_ip)
    except (RuntimeError, OSError) as e:
        print(f"SKIP: cannot make a network namespace with a veth link here ({e})")
        link.remove()
        return SKIP
    log(f"namespace {link.ns}: {link.host_if} {host_ip} (+ learner {learner_ip}) <-> "
        f"{link.ns_if} {ns_ip}")

    # ctest's timeout sends SIGTERM: unwind through the cleanup below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated (SIGTERM)"))
    run_dir = tempfile.mkdtemp(prefix="zf-netns-")
    fleet = Fleet(run_dir)
    try:
        return run(fleet, link, host_ip, ns_ip, learner_ip, run_dir)
    except (SystemExit, AssertionError, RuntimeError) as e:
        print(f"FAILED: {e}")
        for name, _ in fleet.procs:
            print(f"--- {name}.log (tail) ---\n{tail(fleet, name, 30)}")
        return 1
    finally:
        fleet.stop(grace=10)
        link.remove()
        log(f"cleaned up {link.ns}; logs in {run_dir}")


def run(fleet, link, host_ip, ns_ip, learner_ip, run_dir):
    lport, lm, iport, im, am = (free_port() for _ in range(5))
    learner = fleet.start("learner", [
        os.path.join(bindir, "zerofleet-learner"), "--run-dir", os.path.join(run_dir, "run"),
        "--address", "0.0.0.0", "--port", str(lport), "--metrics-port", str(lm),
        "--preset", "cpu", "--board-size", "7", "--win-length", "4", "--sims", "16",
        "--parallel-games", "8", "--min-positions", "100", "--batch-size", "32",
        "--device", "cpu"])
    wait_for(lambda: scrape(lm) or fleet.dead(), 120, "the learner's /metrics")
    assert not fleet.dead(), f"exited: {fleet.dead()}"
    inference = fleet.start("inference", [
        os.path.join(bindir, "zerofleet-inference-server"), "--address", "0.0.0.0", "--port",
        str(iport), "--learner", f"127.0.0.1:{lport}", "--net", "tiny", "--device", "cpu",
        "--board-size", "7", "--metrics-port", str(im)])
    wait_for(lambda: "listening on" in tail(fleet, "inference", 50) or fleet.dead(), 120,
             "the inference server")
    assert not fleet.dead(), f"exited: {fleet.dead()}"
    log(f"learner {learner_ip}:{lport}, inference {host_ip}:{iport} (bound to 0.0.0.0)")

    actor_id = f"netns-{os.getpid()}"
    actor = fleet.start("actor", [
        "ip", "netns", "exec", link.ns, os.path.join(bindir, "zerofleet-actor"),
        "--learner", f"{learner_ip}:{lport}", "--inference", f"{host_ip}:{iport}",
        "--actor-id", actor_id, "--metrics-address", "0.0.0.0", "--metrics-port", str(am),
        "--threads", "2", "--parallel-games", "8"])

    def across():  # the actor's metrics, scraped by the host across the veth
        return scrape(am, host=ns_ip)

    def inside():  # the same, scraped from inside the namespace (works while the link is cut)
        code = (f"import json, sys; sys.path.insert(0, {os.path.join(source, 'scripts')!r}); "
                f"from zf_fleet import scrape; print(json.dumps(scrape({am})))")
        p = sh("ip", "netns", "exec", link.ns, sys.executable, "-c", code, check=False)
        return json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else {}

    def value(m, name):
        return m.get(name, 0.0)

    def acked(m):
        return value(m, "zerofleet_actor_games_acked_total")

    def alive():
        dead = fleet.dead()
        assert not dead, f"exited early: {dead}"

    def wait_acked(at_least, timeout, what):
        seen = {}

        def check():
            alive()
            seen["m"] = across()
            return acked(seen["m"]) >= at_least

        t = time.time()
        wait_for(check, timeout, what)
        log(f"{what}: acked {acked(seen['m']):.0f} after {time.time() - t:.1f} s")
        return seen["m"]

    m = wait_acked(2, 120, "actor's first games acked across the veth")

    def hold_cut(seconds, what):
        """Waits out a cut: acked may still move for in-flight acks in the first moment, then
        must stay put (nothing crosses). The actor's metrics inside the namespace, start and
        end of the settled part."""
        time.sleep(1.5)  # in-flight acks land; the actor refreshes metrics every 200 ms
        first = inside()
        assert first, "no metrics from inside the namespace"
        t = time.time()
        while time.time() - t < seconds - 1.5:
            alive()
            time.sleep(1)
        last = inside()
        assert last, "no metrics from inside the namespace"
        assert acked(last) == acked(first), (
            f"{what}: acked moved {acked(first):.0f} -> {acked(last):.0f} while cut")
        return first, last

    # Cut 1: 8 s, shorter than keepalive.
    before = acked(m)
    retries0 = value(m, "zerofleet_actor_evaluate_retries_total")
    link.set(False)
    log(f"cut 1: link down for 8 s (acked {before:.0f})")
    first, last = hold_cut(8, "cut 1")
    assert across() == {}, "the actor's metrics answered across a cut link"
    log(f"cut 1: acked {before:.0f} -> {acked(first):.0f} -> {acked(last):.0f}, pending "
        f"{value(last, 'zerofleet_actor_games_pending'):.0f}; restoring the link")
    link.set(True)
    m = wait_acked(acked(last) + 3, 150, "after cut 1, 3 more games acked")
    retries1 = value(m, "zerofleet_actor_evaluate_retries_total")
    log(f"cut 1: evaluate retries {retries0:.0f} -> {retries1:.0f}")

    # Cut 2: 35 s, longer than keepalive (20 s + 10 s) and the request timeout (30 s): the
    # actor's streams fail, it retries, and reconnects once the link is back.
    before = acked(m)
    link.set(False)
    log(f"cut 2: link down for 35 s (acked {before:.0f})")
    first, last = hold_cut(35, "cut 2")
    log(f"cut 2: acked {before:.0f} -> {acked(first):.0f} -> {acked(last):.0f}, evaluate "
        f"retries {retries1:.0f} -> "
        f"{value(last, 'zerofleet_actor_evaluate_retries_total'):.0f}; restoring the link")
    link.set(True)
    m = wait_acked(acked(last) + 3, 150, "after cut 2, 3 more games acked")
    retries2 = value(m, "zerofleet_actor_evaluate_retries_total")
    assert retries2 > retries1, (
        f"evaluate retries {retries1:.0f} -> {retries2:.0f}: the 35 s cut should have failed "
        f"the inference stream")

    # Cut 3: only the route to the learner's address, 35 s: self-play goes on (inference is
    # reachable), finished games pile up unacked while submitting fails, and all of them are
    # acked once the route is back.
    before = acked(m)
    link.learner_route(False)
    log(f"cut 3: route to the learner ({learner_ip}) unreachable for 35 s (acked {before:.0f})")
    first, last = hold_cut(35, "cut 3")
    finished = value(last, "zerofleet_selfplay_games_total")
    pending = value(last, "zerofleet_actor_games_pending")
    log(f"cut 3: acked {before:.0f} -> {acked(first):.0f} -> {acked(last):.0f}, finished "
        f"{value(first, 'zerofleet_selfplay_games_total'):.0f} -> {finished:.0f}, pending "
        f"{pending:.0f}; restoring the route")
    assert pending >= 3, f"only {pending:.0f} games pending after 35 s without the learner"
    link.learner_route(True)
    m = wait_acked(finished, 150, f"after cut 3, the {finished:.0f} games finished by then acked")

    # Stop: the actor sends what it finished, then the servers.
    actor.terminate()
    code = actor.wait(timeout=90)
    assert code == 0, f"actor exited {code}"
    last = tail(fleet, "actor", 5)
    match = re.search(rf"actor {re.escape(actor_id)} done: (\d+) games finished, (\d+) acked", last)
    assert match, f"no final line in the actor's log:\n{last}"
    finished, final_acked = int(match.group(1)), int(match.group(2))
    assert final_acked == finished, f"{finished} games finished but {final_acked} acked"
    inference.terminate()
    learner.terminate()
    codes = {"inference": inference.wait(timeout=60), "learner": learner.wait(timeout=120)}
    assert codes == {"inference": 0, "learner": 0}, f"exit codes {codes}"
    log(f"actor exit 0 ({finished} finished, {final_acked} acked); exit codes {codes}")
    ltail = tail(fleet, "learner", 10)
    match = re.search(r"games stored (\d+), counted (\d+)", ltail)
    assert match, f"no 'games stored' line in the learner's log:\n{ltail}"
    stored, counted = int(match.group(1)), int(match.group(2))
    assert stored >= final_acked, f"learner stored {stored} < {final_acked} acked: games lost"
    assert stored == counted, f"stored {stored} != counted {counted}"
    log(f"learner: games stored {stored}, counted {counted} (actor acked {final_acked})")
    print(f"OK ({time.time() - T0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
