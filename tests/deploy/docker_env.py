"""What the Docker tests share: an engine, the Debian base images, image builds, and logs.

- An engine: `docker info` answers, or (as root, with dockerd installed and no init system)
  dockerd is started in the background and left running for the next test. Where neither
  works the test exits 77 with one line saying why (ctest reports it as skipped).
- Base images: no registry can be reached, so the images the Dockerfiles name
  (debian:SUITE and debian:SUITE-slim) are made once with `debootstrap --variant=minbase` and
  `docker import`, over plain http (https from containers fails behind a proxy CA).
- Debian's own docker CLI (/usr/bin/docker) is preferred: another one earlier on PATH may lack
  what Debian's engine expects.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
T0 = time.time()
MIRROR = os.environ.get("ZF_DEBIAN_MIRROR", "http://deb.debian.org/debian")


def log(msg):
    print(f"[{time.time() - T0:6.1f} s] {msg}", flush=True)


def skip(reason):
    print(f"SKIP: {reason}", flush=True)
    sys.exit(SKIP)


def docker_cli():
    for path in ("/usr/bin/docker", shutil.which("docker")):
        if path and os.access(path, os.X_OK):
            return path
    skip("no docker CLI (ZF_DEV_TOOLS=1 bash scripts/setup.sh installs docker.io)")


DOCKER = docker_cli()


def run(args, check=True, timeout=600, **kw):
    """Runs a command, output captured; a failure raises with its last lines."""
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        tail = "\n".join((r.stdout + r.stderr).splitlines()[-20:])
        raise AssertionError(f"{' '.join(args[:4])} ... exited {r.returncode}:\n{tail}")
    return r


def engine_ok():
    return subprocess.run([DOCKER, "info"], capture_output=True).returncode == 0


def ensure_engine(workdir):
    """Starts dockerd when none answers and this process may; otherwise skips."""
    if engine_ok():
        return
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        skip("no Docker engine (dockerd not installed)")
    if os.geteuid() != 0:
        skip("no Docker engine answers, and starting dockerd needs root")
    path = os.path.join(workdir, "dockerd.log")
    log(f"starting dockerd (log: {path})")
    with open(path, "w") as out:
        subprocess.Popen([dockerd], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(60):
        if engine_ok():
            return
        time.sleep(1)
    with open(path) as f:
        last = (f.read().strip().splitlines() or ["(empty log)"])[-1]
    skip(f"dockerd did not start within 60 s: {last}")


def image_exists(tag):
    return subprocess.run([DOCKER, "image", "inspect", tag], capture_output=True).returncode == 0


def ensure_debian_image(suite):
    """debian:SUITE and debian:SUITE-slim from a minbase debootstrap, made once per engine."""
    tags = [f"debian:{suite}", f"debian:{suite}-slim"]
    if all(image_exists(t) for t in tags):
        return
    if shutil.which("debootstrap") is None:
        raise AssertionError("debootstrap is missing (ZF_DEV_TOOLS=1 bash scripts/setup.sh)")
    t = time.time()
    with tempfile.TemporaryDirectory(dir="/var/tmp", prefix="zf-debootstrap-") as root:
        run(["debootstrap", "--variant=minbase", suite, root, MIRROR], timeout=1200)
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        try:
            run([DOCKER, "import", "-", tags[0]], stdin=tar.stdout)
        finally:
            tar.stdout.close()
            code = tar.wait()
        if code != 0:
            raise AssertionError(f"tar of the {suite} root exited {code}: image not trusted")
    run([DOCKER, "tag", tags[0], tags[1]])
    log(f"base image {tags[0]} (= {tags[1]}): debootstrap + import took {time.time() - t:.0f} s")


def build_image(tag, dockerfile, context, log_path, build_args=(), timeout=3000):
    """docker build, its output in log_path; returns the seconds it took."""
    args = [DOCKER, "build", "-f", dockerfile, "-t", tag]
    for a in build_args:
        args += ["--build-arg", a]
    t = time.time()
    with open(log_path, "w") as out:  # the classic builder: save_cache reads its output
        r = subprocess.run(args + [context], stdout=out, stderr=subprocess.STDOUT,
                           timeout=timeout, env=dict(os.environ, DOCKER_BUILDKIT="0"))
    if r.returncode != 0:
        with open(log_path) as f:
            tail = "\n".join(f.read().splitlines()[-30:])
        raise AssertionError(f"docker build of {tag} failed ({log_path}):\n{tail}")
    return time.time() - t


def write_prometheus_dockerfile(directory, suite):
    """An image of Debian's prometheus package that takes the official image's arguments
    (prom/prometheus cannot be pulled here)."""
    path = os.path.join(directory, "Dockerfile.prometheus")
    with open(path, "w") as f:
        f.write(f"""FROM debian:{suite}-slim
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus \\
 && rm -rf /var/lib/apt/lists/* \\
 && mkdir -p /prometheus && chown nobody:nogroup /prometheus
USER nobody
ENTRYPOINT ["/usr/bin/prometheus"]
""")
    return path


def context_with_cache(source, cache_dir, workdir):
    """A build context: the checkout's files (as git sees them) plus `cache_dir` as its
    .ccache. For an image whose compiler differs from the checkout's, the checkout's own cache
    is of no use; this one is kept on the machine from one build to the next."""
    context = os.path.join(workdir, "context")
    os.makedirs(context)
    files = run(["git", "-C", source, "ls-files", "-co", "--exclude-standard", "-z"]).stdout
    present = [f for f in files.split("\0") if f and os.path.lexists(os.path.join(source, f))]
    with tempfile.NamedTemporaryFile("w", dir=workdir, delete=False) as listing:
        listing.write("\0".join(present))  # files deleted but not yet committed left out
    run(["tar", "-C", source, "--null", "-T", listing.name, "-cf",
         os.path.join(workdir, "context.tar")])
    run(["tar", "-C", context, "-xf", os.path.join(workdir, "context.tar")])
    shutil.rmtree(os.path.join(context, ".ccache"), ignore_errors=True)
    if os.path.isdir(cache_dir):
        shutil.copytree(cache_dir, os.path.join(context, ".ccache"))
    return context


def save_cache(build_log, cache_dir):
    """Copies /src/.ccache out of the build stage of the image just built into `cache_dir`, for
    the next build. The stage's image is the last one the (classic) builder printed before the
    runtime stage's FROM."""
    with open(build_log) as f:
        lines = f.read().splitlines()
    runtime = [i for i, l in enumerate(lines) if re.match(r"Step \d+/\d+ : FROM .* AS runtime", l)]
    images = [m.group(1) for l in lines[:runtime[0]] if (m := re.match(r" ---> ([0-9a-f]{12})$", l))
              ] if runtime else []
    if not images:
        raise AssertionError(f"{build_log}: no build stage image in the builder's output")
    image = images[-1]
    container = run([DOCKER, "create", image, "true"]).stdout.strip()
    try:
        fresh = cache_dir + ".new"
        shutil.rmtree(fresh, ignore_errors=True)
        os.makedirs(os.path.dirname(cache_dir), exist_ok=True)
        run([DOCKER, "cp", f"{container}:/src/.ccache", fresh])
        shutil.rmtree(cache_dir, ignore_errors=True)
        os.rename(fresh, cache_dir)
    finally:
        run([DOCKER, "rm", container], check=False)
