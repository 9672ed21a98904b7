"""Shared pieces of the fleet scripts (cluster.py, bench_distributed.py): free ports, scraping a
/metrics page, bounded waits, and starting/stopping the processes of one topology."""
import os
import random
import signal
import socket
import subprocess
import time
import urllib.request


_given = set()  # ports this process handed out already


def _can_bind(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port():
    """A port on 127.0.0.1 free a moment ago. Picked at random below the kernel's ephemeral
    range: a port from bind(0) lies inside it, where any process's next outgoing connection may
    take it before our server binds it."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    if low - 1 - 10000 >= 1000:
        for _ in range(200):
            port = random.randint(10000, low - 1)
            if port not in _given and _can_bind(port):
                _given.add(port)
                return port
    with socket.socket() as s:  # fallback: whatever the kernel picks
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port, host="127.0.0.1"):
    """{metric name with labels: value} from a /metrics page ({} when unreachable). No proxy is
    used, even if the environment names one."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        body = opener.open(f"http://{host}:{port}/metrics", timeout=3).read()
    except OSError:
        return {}
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            try:
                out[name] = float(value)
            except ValueError:
                pass
    return out


def wait_for(predicate, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return
        time.sleep(0.25)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


class Fleet:
    """Processes of one topology, each logging to <logdir>/<name>.log; stop() ends them all
    (SIGTERM, then SIGKILL after a grace period)."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.procs = []

    def start(self, name, argv):
        log = open(os.path.join(self.logdir, name + ".log"), "w")
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        self.procs.append((name, p))
        return p

    def dead(self):
        """Names and exit codes of processes that exited."""
        return [(n, p.returncode) for n, p in self.procs if p.poll() is not None]

    def log_tail(self, name, lines=20):
        with open(os.path.join(self.logdir, name + ".log"), errors="replace") as f:
            return "".join(f.readlines()[-lines:])

    def stop(self, grace=60):
        """Stops actors first (they send finished games), then the servers. Exit codes."""
        codes = {}
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
            try:
                codes[name] = p.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                p.kill()
                codes[name] = p.wait()
        self.procs = []
        return codes
