"""Shared pieces of the fleet scripts (cluster.py, bench_distributed.py): free ports, scraping a
/metrics page, bounded waits, and starting/stopping the processes of one topology."""
import os
import signal
import socket
import subprocess
import time
import urllib.request


def free_port():
    with socket.socket() as s:
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
