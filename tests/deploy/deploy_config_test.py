#!/usr/bin/env python3
"""Checks deploy/ with the real tools, without a Docker engine, a cluster or the network.

- Compose: `docker-compose config` renders deploy/docker-compose.yml (GPU) and
  deploy/docker-compose.cpu.yml (CPU); the rendered services, ports, GPU reservations, health
  checks, volumes and mounted files are checked.
- Kubernetes: `kubectl kustomize` renders deploy/k8s/overlays/{gpu,cpu}; kinds, GPU limits,
  native gRPC probes, the headless Service, the StatefulSet's volume claim, security contexts,
  $(VAR) references and Prometheus annotations are checked.
- Prometheus and Grafana: `promtool check config`, scrape targets against the services' metrics
  ports, the datasource uid the dashboard uses.
- Dockerfiles: stages, COPY --from, the non-root USER, the binaries against the CMake tree, the
  Debian packages against scripts/setup.sh.
- Binaries (class BinariesTest, needs the built binaries in $ZF_BIN_DIR): every flag the compose
  files and manifests pass is one the binary defines; the health checks' arguments are accepted
  by zerofleet-health-probe; the CPU image's runtime packages cover every library the binaries
  load.

Usage: deploy_config_test.py [unittest names...]   (env ZF_SOURCE_DIR, ZF_BIN_DIR)
"""

import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

import yaml

SOURCE = os.path.abspath(os.environ.get("ZF_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")))
BIN = os.environ.get("ZF_BIN_DIR", os.path.join(SOURCE, "build", "bin"))
DEPLOY = os.path.join(SOURCE, "deploy")
TIMEOUT_S = 60

ZF_SERVICES = {"learner": "zerofleet-learner", "inference": "zerofleet-inference-server",
               "actor": "zerofleet-actor"}
HEALTH_SERVICE = {"learner": "zerofleet.v1.LearnerService",
                  "inference": "zerofleet.v1.InferenceService"}


def run(argv, env=None, check=True):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, env=env)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


def clean_env(extra=None):
    """The environment without ZF_* / COMPOSE_* settings of whoever runs the test."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ZF_") and not k.startswith("COMPOSE_") and not k.startswith("DOCKER_")}
    env.update(extra or {})
    return env


def render_compose(file_name, extra_env=None):
    # --env-file: an empty one, so a deploy/.env on a developer's machine changes nothing.
    with tempfile.NamedTemporaryFile("w", suffix=".env") as empty:
        r = run(["docker-compose", "--env-file", empty.name, "-f", os.path.join(DEPLOY, file_name),
                 "config"], env=clean_env(extra_env))
    return yaml.safe_load(r.stdout)


def render_kustomize(overlay):
    r = run(["kubectl", "kustomize", os.path.join(DEPLOY, "k8s", "overlays", overlay)])
    return [d for d in yaml.safe_load_all(r.stdout) if d]


def render_with_tls(overlay):
    """`overlay` plus components/tls, through a temporary overlay (kustomize wants relative paths)."""
    with tempfile.TemporaryDirectory() as d:
        k8s = os.path.relpath(os.path.join(DEPLOY, "k8s"), d)
        with open(os.path.join(d, "kustomization.yaml"), "w") as f:
            f.write(f"resources:\n  - {k8s}/overlays/{overlay}\ncomponents:\n  - {k8s}/components/tls\n")
        r = run(["kubectl", "kustomize", d])
    return [doc for doc in yaml.safe_load_all(r.stdout) if doc]


def tls_exec_probes(docs):
    """(workload, probe name, argv) of every exec probe in `docs`."""
    out = []
    for d in docs:
        if d["kind"] in ("Deployment", "StatefulSet"):
            c = d["spec"]["template"]["spec"]["containers"][0]
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                if "exec" in c.get(probe, {}):
                    out.append((d["metadata"]["name"], probe, c[probe]["exec"]["command"]))
    return out


def flag_value(argv, name):
    """The value of --name=value in argv (None when absent)."""
    for a in argv:
        if a.startswith(f"--{name}="):
            return a.split("=", 1)[1]
    return None


def cmake_binaries():
    """Names of every zf_binary(...) in the source tree's CMakeLists.txt files."""
    names = set()
    for path in glob.glob(os.path.join(SOURCE, "**", "CMakeLists.txt"), recursive=True):
        if os.path.relpath(path, SOURCE).startswith("build"):
            continue
        with open(path) as f:
            names.update(re.findall(r"zf_binary\(\s*([A-Za-z0-9_.-]+)", f.read()))
    return names


def setup_sh_packages():
    with open(os.path.join(SOURCE, "scripts", "setup.sh")) as f:
        text = f.read()
    block = re.search(r"PACKAGES=\((.*?)\n\)", text, re.S).group(1)
    words = []
    for line in block.splitlines():
        words += line.split("#", 1)[0].split()
    return set(words)


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Dockerfile:
    """The stages of a Dockerfile: name -> list of (instruction, arguments), continuations joined."""

    def __init__(self, path):
        with open(path) as f:
            text = re.sub(r"\\\n", " ", f.read())
        self.stages = []  # [(name, base, [(INSTR, args)])]
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            instr, _, args = line.partition(" ")
            instr = instr.upper()
            if instr == "FROM":
                m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", args.strip(), re.I)
                self.stages.append((m.group(2), m.group(1), []))
            elif self.stages:
                self.stages[-1][2].append((instr, " ".join(args.split())))

    def final(self):
        return self.stages[-1]

    def apt_packages(self, stage_index):
        """Packages the stage's RUN apt-get install lines name, ${ARG}s replaced by defaults."""
        pkgs, defaults = [], {}
        for instr, args in self.stages[stage_index][2]:
            m = re.fullmatch(r'(\w+)="?(.*?)"?', args) if instr == "ARG" else None
            if m:
                defaults[m.group(1)] = m.group(2)
            args = re.sub(r"\$\{(\w+)\}", lambda v: defaults.get(v.group(1), v.group(0)), args)
            if instr == "RUN" and "apt-get install" in args:
                seg = args.split("apt-get install", 1)[1].split("&&", 1)[0]
                pkgs += [w for w in seg.split() if not w.startswith("-")]
        return pkgs

    def copied_binaries(self):
        names = []
        for instr, args in self.final()[2]:
            if instr == "COPY":
                names += re.findall(r"/build/bin/([A-Za-z0-9_.-]+)", args)
        return names

    def built_targets(self):
        for _, _, body in self.stages:
            for instr, args in body:
                m = re.search(r"\bninja -C (.*)", args)
                if instr == "RUN" and m:
                    return [w for w in m.group(1).split() if w.startswith("zerofleet")]
        return []


class ComposeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gpu = render_compose("docker-compose.yml")
        cls.cpu = render_compose("docker-compose.cpu.yml")

    def variants(self):
        return [("gpu", self.gpu), ("cpu", self.cpu)]

    def test_services_and_ports(self):
        for name, c in self.variants():
            with self.subTest(variant=name):
                services = c["services"]
                self.assertEqual(set(services), {"learner", "inference", "actor", "prometheus", "grafana"})
                for s in ZF_SERVICES:
                    # gRPC stays on the compose network; nothing zerofleet is published.
                    self.assertNotIn("ports", services[s], s)
                    self.assertNotIn("container_name", services[s], s)
                    self.assertEqual(services[s]["command"][0], ZF_SERVICES[s])
                    self.assertEqual(flag_value(services[s]["command"], "metrics-address"), "0.0.0.0")
                actor = services["actor"]
                self.assertNotIn("hostname", actor)
                self.assertNotIn("scale", actor)
                for s, port in (("prometheus", "9090"), ("grafana", "3000")):
                    published = services[s]["ports"]
                    self.assertEqual(len(published), 1, s)
                    self.assertEqual(published[0], f"127.0.0.1:{port}:{port}/tcp", s)

    def test_gpu_reservation_only_in_the_gpu_variant(self):
        for s in ("learner", "inference"):
            svc = self.gpu["services"][s]
            devices = svc["deploy"]["resources"]["reservations"]["devices"]
            self.assertEqual(len(devices), 1)
            self.assertEqual(devices[0]["driver"], "nvidia")
            self.assertEqual(devices[0]["count"], 1)
            self.assertIn("gpu", devices[0]["capabilities"])
            self.assertEqual(flag_value(svc["command"], "device"), "cuda")
        self.assertEqual(flag_value(self.gpu["services"]["learner"]["command"], "preset"), "gpu")
        for s, svc in self.cpu["services"].items():
            self.assertNotIn("deploy", svc, s)
            if s in ("learner", "inference"):
                self.assertEqual(flag_value(svc["command"], "device"), "cpu")
        self.assertEqual(flag_value(self.cpu["services"]["learner"]["command"], "preset"), "cpu")
        self.assertNotIn("nvidia", json.dumps(self.cpu))

    def test_images_and_builds(self):
        for name, c, image, dockerfile in (("gpu", self.gpu, "zerofleet:cuda", "Dockerfile.cuda"),
                                           ("cpu", self.cpu, "zerofleet:cpu", "Dockerfile")):
            for s in ZF_SERVICES:
                with self.subTest(variant=name, service=s):
                    svc = c["services"][s]
                    self.assertEqual(svc["image"], image)
                    self.assertEqual(os.path.realpath(svc["build"]["context"]), os.path.realpath(SOURCE))
                    self.assertEqual(svc["build"]["dockerfile"], f"deploy/docker/{dockerfile}")
                    self.assertTrue(os.path.isfile(os.path.join(SOURCE, svc["build"]["dockerfile"])))
                    self.assertEqual(svc["restart"], "unless-stopped")

    def test_health_checks_use_the_probe_on_the_served_port(self):
        for name, c in self.variants():
            for s, service in HEALTH_SERVICE.items():
                with self.subTest(variant=name, service=s):
                    svc = c["services"][s]
                    test = svc["healthcheck"]["test"]
                    self.assertEqual(test[:2], ["CMD", "zerofleet-health-probe"])
                    self.assertEqual(flag_value(test, "addr"), f"{s}:{flag_value(svc['command'], 'port')}")
                    self.assertEqual(flag_value(test, "service"), service)
            for s, deps in (("inference", ["learner"]), ("actor", ["learner", "inference"])):
                for d in deps:
                    self.assertEqual(c["services"][s]["depends_on"][d]["condition"], "service_healthy")

    def test_volumes_and_mounted_files(self):
        for name, c in self.variants():
            with self.subTest(variant=name):
                self.assertEqual(set(c["volumes"]), {"learner-data", "prometheus-data", "grafana-data"})
                learner = c["services"]["learner"]
                self.assertIn("learner-data:/data:rw", learner["volumes"])
                self.assertTrue(flag_value(learner["command"], "run-dir").startswith("/data/"))
                for svc in c["services"].values():
                    for v in svc.get("volumes", []):
                        source = v.split(":", 1)[0]
                        if source.startswith("/"):  # a bind mount: it must exist
                            self.assertTrue(os.path.exists(source), v)
                prom = c["services"]["prometheus"]
                self.assertIn(f"{DEPLOY}/prometheus/compose.yml:/etc/prometheus/prometheus.yml:ro",
                              prom["volumes"])

    def test_token_and_tls_reach_every_command(self):
        c = render_compose("docker-compose.yml", {
            "ZF_TOKEN_FILE": "/run/zerofleet/token", "ZF_TLS_CA": "/run/zerofleet/ca.pem",
            "ZF_TLS_CERT": "/run/zerofleet/server.pem", "ZF_TLS_KEY": "/run/zerofleet/server.key"})
        for s in ZF_SERVICES:
            cmd = c["services"][s]["command"]
            self.assertEqual(flag_value(cmd, "token-file"), "/run/zerofleet/token", s)
            self.assertIn(f"{DEPLOY}/secrets:/run/zerofleet:ro", c["services"][s]["volumes"])
        for s in HEALTH_SERVICE:
            self.assertEqual(flag_value(c["services"][s]["healthcheck"]["test"], "tls-ca"),
                             "/run/zerofleet/ca.pem")
        # Off by default: empty values, which the binaries read as "none".
        self.assertEqual(flag_value(self.gpu["services"]["actor"]["command"], "token-file"), "")

    def test_settings_from_the_environment(self):
        c = render_compose("docker-compose.cpu.yml", {"ZF_PUBLISH_ADDRESS": "0.0.0.0",
                                                      "ZF_IMAGE": "registry.example/zf:1",
                                                      "ZF_PARALLEL_GAMES": "7"})
        self.assertEqual(c["services"]["grafana"]["ports"], ["0.0.0.0:3000:3000/tcp"])
        self.assertEqual(c["services"]["actor"]["image"], "registry.example/zf:1")
        self.assertEqual(flag_value(c["services"]["actor"]["command"], "parallel-games"), "7")


class KubernetesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.docs = {o: render_kustomize(o) for o in ("gpu", "cpu")}

    @staticmethod
    def find(docs, kind, name):
        for d in docs:
            if d["kind"] == kind and d["metadata"]["name"] == name:
                return d
        raise AssertionError(f"no {kind}/{name}")

    @staticmethod
    def configmap(docs):
        return next(d for d in docs if d["kind"] == "ConfigMap")

    def workloads(self, docs):
        return {"learner": self.find(docs, "StatefulSet", "learner"),
                "inference": self.find(docs, "Deployment", "inference"),
                "actor": self.find(docs, "Deployment", "actor")}

    def test_kinds_and_namespace(self):
        for overlay, docs in self.docs.items():
            with self.subTest(overlay=overlay):
                kinds = sorted(f"{d['kind']}/{d['metadata']['name']}" for d in docs
                               if d["kind"] != "ConfigMap")
                self.assertEqual(kinds, ["Deployment/actor", "Deployment/inference", "Namespace/zerofleet",
                                         "Service/inference-headless", "Service/learner",
                                         "Service/learner-headless", "StatefulSet/learner"])
                self.assertTrue(self.configmap(docs)["metadata"]["name"].startswith("zerofleet-settings-"))
                for d in docs:
                    if d["kind"] != "Namespace":
                        self.assertEqual(d["metadata"]["namespace"], "zerofleet", d["metadata"]["name"])

    def test_gpu_limits(self):
        gpu = self.workloads(self.docs["gpu"])
        for s in ("learner", "inference"):
            limits = gpu[s]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
            self.assertEqual(limits["nvidia.com/gpu"], 1, s)
        self.assertNotIn("nvidia.com/gpu", json.dumps(gpu["actor"]))
        self.assertEqual(self.configmap(self.docs["gpu"])["data"]["ZF_DEVICE"], "cuda")
        self.assertNotIn("nvidia.com/gpu", json.dumps(self.docs["cpu"]))
        cm = self.configmap(self.docs["cpu"])["data"]
        self.assertEqual((cm["ZF_DEVICE"], cm["ZF_PRESET"]), ("cpu", "cpu"))
        for overlay, tag in (("gpu", "cuda"), ("cpu", "cpu")):
            for s, w in self.workloads(self.docs[overlay]).items():
                self.assertEqual(w["spec"]["template"]["spec"]["containers"][0]["image"], f"zerofleet:{tag}")

    def test_native_grpc_probes(self):
        for overlay, docs in self.docs.items():
            w = self.workloads(docs)
            for s, service in HEALTH_SERVICE.items():
                with self.subTest(overlay=overlay, service=s):
                    c = w[s]["spec"]["template"]["spec"]["containers"][0]
                    grpc_port = next(p["containerPort"] for p in c["ports"] if p["name"] == "grpc")
                    self.assertEqual(flag_value(c["args"], "port"), str(grpc_port))
                    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                        self.assertEqual(c[probe]["grpc"]["port"], grpc_port, probe)  # an int: k8s needs one
                    self.assertEqual(c["readinessProbe"]["grpc"]["service"], service)

    def test_headless_inference_and_round_robin_target(self):
        for overlay, docs in self.docs.items():
            svc = self.find(docs, "Service", "inference-headless")
            self.assertEqual(svc["spec"]["clusterIP"], "None")
            pod_labels = self.workloads(docs)["inference"]["spec"]["template"]["metadata"]["labels"]
            self.assertTrue(set(svc["spec"]["selector"].items()) <= set(pod_labels.items()))
            cm = self.configmap(docs)["data"]
            self.assertEqual(cm["ZF_INFERENCE_TARGET"], "dns:///inference-headless:50052")
            actor = self.workloads(docs)["actor"]["spec"]["template"]["spec"]
            self.assertEqual(flag_value(actor["containers"][0]["args"], "inference"), "$(ZF_INFERENCE_TARGET)")
            self.assertEqual(actor["topologySpreadConstraints"][0]["topologyKey"], "kubernetes.io/hostname")

    def test_services_select_pods_and_name_their_ports(self):
        for overlay, docs in self.docs.items():
            w = self.workloads(docs)
            for svc_name, target in (("learner", "learner"), ("learner-headless", "learner"),
                                     ("inference-headless", "inference")):
                svc = self.find(docs, "Service", svc_name)
                pod = w[target]["spec"]["template"]
                self.assertTrue(set(svc["spec"]["selector"].items()) <= set(pod["metadata"]["labels"].items()))
                names = {p["name"] for p in pod["spec"]["containers"][0]["ports"]}
                for p in svc["spec"]["ports"]:
                    self.assertIn(p["targetPort"], names, f"{svc_name} {p}")

    def test_statefulset_volume(self):
        for overlay, docs in self.docs.items():
            sts = self.workloads(docs)["learner"]
            self.assertEqual(sts["spec"]["replicas"], 1)
            self.assertEqual(self.find(docs, "Service", sts["spec"]["serviceName"])["spec"]["clusterIP"], "None")
            claims = sts["spec"]["volumeClaimTemplates"]
            self.assertEqual([c["metadata"]["name"] for c in claims], ["data"])
            self.assertIn("storage", claims[0]["spec"]["resources"]["requests"])
            c = sts["spec"]["template"]["spec"]["containers"][0]
            self.assertIn({"name": "data", "mountPath": "/data"}, c["volumeMounts"])
            self.assertTrue(flag_value(c["args"], "run-dir").startswith("/data/"))
            self.assertEqual(sts["spec"]["template"]["spec"]["securityContext"]["fsGroup"], 10001)

    def test_pods_run_as_non_root_and_reference_defined_settings(self):
        for overlay, docs in self.docs.items():
            cm = self.configmap(docs)
            for s, w in self.workloads(docs).items():
                with self.subTest(overlay=overlay, workload=s):
                    spec = w["spec"]["template"]["spec"]
                    self.assertTrue(spec["securityContext"]["runAsNonRoot"])
                    self.assertEqual(spec["securityContext"]["runAsUser"], 10001)
                    c = spec["containers"][0]
                    self.assertFalse(c["securityContext"]["allowPrivilegeEscalation"])
                    self.assertEqual(c["securityContext"]["capabilities"]["drop"], ["ALL"])
                    self.assertIn("cpu", c["resources"]["requests"])
                    self.assertIn("memory", c["resources"]["limits"])
                    self.assertEqual(c["command"], [ZF_SERVICES[s]])
                    self.assertEqual(c["envFrom"][0]["configMapRef"]["name"], cm["metadata"]["name"])
                    defined = set(cm["data"]) | {e["name"] for e in c.get("env", [])}
                    for ref in re.findall(r"\$\(([A-Z0-9_]+)\)", " ".join(c["args"])):
                        self.assertIn(ref, defined)
                    ann = w["spec"]["template"]["metadata"]["annotations"]
                    self.assertEqual(ann["prometheus.io/scrape"], "true")
                    metrics = next(p["containerPort"] for p in c["ports"] if p["name"] == "metrics")
                    self.assertEqual(ann["prometheus.io/port"], str(metrics))
                    self.assertEqual(flag_value(c["args"], "metrics-port"), str(metrics))


    def test_tls_component_swaps_grpc_probes_for_the_probe_binary(self):
        for overlay in ("gpu", "cpu"):
            docs = render_with_tls(overlay)
            cm = self.configmap(docs)["data"]
            self.assertEqual(cm["ZF_TLS_CA"], "/run/zerofleet/ca.pem")
            self.assertEqual(cm["ZF_TOKEN_FILE"], "/run/zerofleet/token")
            w = self.workloads(docs)
            for s, service in HEALTH_SERVICE.items():
                c = w[s]["spec"]["template"]["spec"]["containers"][0]
                grpc_port = next(p["containerPort"] for p in c["ports"] if p["name"] == "grpc")
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    self.assertNotIn("grpc", c[probe], f"{overlay} {s} {probe}")
                    argv = c[probe]["exec"]["command"]
                    self.assertEqual(argv[0], "zerofleet-health-probe")
                    self.assertEqual(flag_value(argv, "addr"), f"127.0.0.1:{grpc_port}")
                    self.assertEqual(flag_value(argv, "tls-ca"), cm["ZF_TLS_CA"])
                self.assertEqual(flag_value(c["readinessProbe"]["exec"]["command"], "service"), service)
            # The name the probe checks is the one clients dial.
            names = {a: flag_value(argv, "tls-server-name") for a, _, argv in tls_exec_probes(docs)}
            self.assertEqual(names, {"learner": cm["ZF_LEARNER_TARGET"].split(":")[0],
                                     "inference": cm["ZF_INFERENCE_TARGET"].split("///")[1].split(":")[0]})


class PrometheusGrafanaTest(unittest.TestCase):
    def test_promtool_accepts_the_configs(self):
        for name in ("compose.yml", "prometheus.yml"):
            run(["promtool", "check", "config", os.path.join(DEPLOY, "prometheus", name)])

    def test_compose_config_scrapes_every_service_on_its_metrics_port(self):
        compose = render_compose("docker-compose.yml")["services"]
        with open(os.path.join(DEPLOY, "prometheus", "compose.yml")) as f:
            jobs = {j["job_name"]: j for j in yaml.safe_load(f)["scrape_configs"]}
        for s in ZF_SERVICES:
            port = int(flag_value(compose[s]["command"], "metrics-port"))
            job = jobs[f"zerofleet-{s}"]
            if "dns_sd_configs" in job:
                sd = job["dns_sd_configs"][0]
                self.assertEqual((sd["names"], sd["type"], sd["port"]), ([s], "A", port))
            else:
                self.assertEqual(job["static_configs"][0]["targets"], [f"{s}:{port}"])
        # Scaled actors are found through DNS, not a fixed list.
        self.assertIn("dns_sd_configs", jobs["zerofleet-actor"])

    def test_grafana_provisioning_matches_the_dashboard(self):
        with open(os.path.join(DEPLOY, "grafana", "dashboards", "zerofleet-overview.json")) as f:
            self.assertEqual(json.load(f)["uid"], "zerofleet-overview")
        with open(os.path.join(DEPLOY, "grafana", "provisioning", "datasources", "zerofleet.yml")) as f:
            host_ds = yaml.safe_load(f)["datasources"][0]
        with open(os.path.join(DEPLOY, "grafana", "compose", "datasources", "zerofleet.yml")) as f:
            compose_ds = yaml.safe_load(f)["datasources"][0]
        self.assertEqual(compose_ds["uid"], host_ds["uid"])
        self.assertEqual(compose_ds["url"], "http://prometheus:9090")
        with open(os.path.join(DEPLOY, "grafana", "provisioning", "dashboards", "zerofleet.yml")) as f:
            provider_path = yaml.safe_load(f)["providers"][0]["options"]["path"]
        grafana = render_compose("docker-compose.yml")["services"]["grafana"]
        self.assertIn(f"{DEPLOY}/grafana/dashboards:{provider_path}:ro", grafana["volumes"])


class DockerfileTest(unittest.TestCase):
    def check_common(self, df):
        names = [s[0] for s in df.stages]
        self.assertEqual(names, ["build", "runtime"])
        for i, (_, _, body) in enumerate(df.stages):
            for instr, args in body:
                m = re.search(r"--from=(\S+)", args)
                if instr == "COPY" and m:
                    self.assertIn(m.group(1), names[:i], args)
        final = df.final()[2]
        users = [a for i, a in final if i == "USER"]
        self.assertEqual(len(users), 1)
        self.assertNotIn(users[0].split(":")[0], ("0", "root"))
        self.assertIn(("WORKDIR", "/data"), final)
        copied = df.copied_binaries()
        self.assertEqual(sorted(copied), sorted(df.built_targets()))
        self.assertEqual(set(copied), {"zerofleet", "zerofleet-learner", "zerofleet-actor",
                                       "zerofleet-inference-server", "zerofleet-health-probe"})
        self.assertTrue(set(copied) <= cmake_binaries(), set(copied) - cmake_binaries())

    def test_cpu_dockerfile(self):
        df = Dockerfile(os.path.join(DEPLOY, "docker", "Dockerfile"))
        self.check_common(df)
        build_pkgs = set(df.apt_packages(0))
        self.assertTrue(build_pkgs <= setup_sh_packages(), build_pkgs - setup_sh_packages())
        self.assertIn("libtorch-dev", build_pkgs)

    def test_cuda_dockerfile(self):
        path = os.path.join(DEPLOY, "docker", "Dockerfile.cuda")
        df = Dockerfile(path)
        self.check_common(df)
        with open(path) as f:
            text = f.read()
        self.assertRegex(text, r"ARG LIBTORCH_URL=https://\S+")
        self.assertIn("-DCMAKE_PREFIX_PATH=/opt/libtorch", text)
        self.assertNotIn("libtorch-dev", df.apt_packages(0))  # Debian's is CPU-only
        self.assertIn(("COPY", "--from=build /opt/libtorch/lib /opt/libtorch/lib"), df.final()[2])
        self.assertRegex(text, r"ARG BUILD_IMAGE=nvidia/cuda:\$\{CUDA_VERSION\}-\S*devel")
        self.assertRegex(text, r"ARG RUNTIME_IMAGE=nvidia/cuda:\$\{CUDA_VERSION\}-\S*runtime")

    def test_dockerignore_keeps_the_context_small(self):
        with open(os.path.join(SOURCE, ".dockerignore")) as f:
            lines = {l.strip() for l in f if l.strip() and not l.startswith("#")}
        self.assertTrue({".git", "runs", "build*/"} <= lines, lines)


class BinariesTest(unittest.TestCase):
    """Needs the binaries built ($ZF_BIN_DIR)."""

    def binary(self, name):
        path = os.path.join(BIN, name)
        self.assertTrue(os.access(path, os.X_OK), f"{path} is not built")
        return path

    def defined_flags(self, name):
        # --help lists the flags the binary's command owns (others are refused).
        r = run([self.binary(name), "--help"], check=False)
        self.assertEqual(r.returncode, 0, f"{name} --help: {r.stderr}")
        return {f.replace("-", "_") for f in re.findall(r"^\s+--([a-z0-9-]+)\s", r.stdout, re.M)}

    def check_flags(self, binary, argv, where):
        defined = self.defined_flags(binary)
        for a in argv:
            self.assertTrue(a.startswith("--"), f"{where}: {a}")
            name = a[2:].split("=", 1)[0].replace("-", "_")
            self.assertTrue(name in defined, f"{where}: {binary} has no --{name}")

    def test_compose_and_k8s_flags_exist(self):
        for file_name in ("docker-compose.yml", "docker-compose.cpu.yml"):
            services = render_compose(file_name)["services"]
            for s, binary in ZF_SERVICES.items():
                with self.subTest(file=file_name, service=s):
                    self.check_flags(binary, services[s]["command"][1:], f"{file_name} {s}")
        for overlay in ("gpu", "cpu"):
            for d in render_kustomize(overlay):
                if d["kind"] in ("Deployment", "StatefulSet"):
                    c = d["spec"]["template"]["spec"]["containers"][0]
                    with self.subTest(overlay=overlay, workload=d["metadata"]["name"]):
                        self.check_flags(c["command"][0], c["args"], f"k8s {overlay} {d['metadata']['name']}")

    def test_health_check_arguments_are_accepted_by_the_probe(self):
        probe = self.binary("zerofleet-health-probe")
        port = closed_port()
        for file_name in ("docker-compose.yml", "docker-compose.cpu.yml"):
            for s in HEALTH_SERVICE:
                test = render_compose(file_name)["services"][s]["healthcheck"]["test"]
                argv = [probe] + [f"--addr=127.0.0.1:{port}" if a.startswith("--addr=") else a for a in test[2:]]
                r = run(argv, check=False)
                # 1: parsed, and nothing serves there; 2 would be a flag the probe rejects.
                self.assertEqual(r.returncode, 1, f"{file_name} {s}: {r.stderr}")

    def test_tls_exec_probe_arguments_are_accepted_by_the_probe(self):
        probe = self.binary("zerofleet-health-probe")
        port = closed_port()
        with tempfile.TemporaryDirectory() as d:
            ca = os.path.join(d, "ca.pem")
            run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-days", "1", "-subj", "/CN=zerofleet test", "-keyout", os.path.join(d, "ca.key"),
                 "-out", ca])
            for workload, name, argv in tls_exec_probes(render_with_tls("gpu")):
                args = [f"--addr=127.0.0.1:{port}" if a.startswith("--addr=") else
                        f"--tls-ca={ca}" if a.startswith("--tls-ca=") else a for a in argv[1:]]
                r = run([probe] + args, check=False)
                self.assertEqual(r.returncode, 1, f"{workload} {name}: {r.stderr}")

    def test_cpu_image_runtime_packages_cover_the_binaries(self):
        df = Dockerfile(os.path.join(DEPLOY, "docker", "Dockerfile"))
        runtime = set(df.apt_packages(1))
        base = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}  # in debian:bookworm-slim
        for pkg in runtime:
            r = run(["dpkg-query", "-W", "-f=${Status}", pkg], check=False)
            self.assertIn("installed", r.stdout, f"{pkg}: not a Debian package installed here")
        for name in df.copied_binaries():
            path = self.binary(name)
            needed = re.findall(r"\(NEEDED\).*\[(.+)\]", run(["readelf", "-d", path]).stdout)
            resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", run(["ldd", path]).stdout, re.M))
            for lib in needed:
                with self.subTest(binary=name, lib=lib):
                    self.assertIn(lib, resolved)
                    owner = run(["dpkg", "-S", os.path.realpath(resolved[lib])], check=False).stdout
                    if not owner:  # /lib vs /usr/lib (merged /usr)
                        owner = run(["dpkg", "-S", resolved[lib]], check=False).stdout
                    pkg = owner.split(":", 1)[0]
                    self.assertIn(pkg, runtime | base, f"{name} needs {lib} from {pkg}")


if __name__ == "__main__":
    for tool in ("docker-compose", "kubectl", "promtool"):
        if shutil.which(tool) is None:
            sys.exit(f"deploy_config_test: {tool} not found (scripts/setup.sh installs it)")
    unittest.main(verbosity=2)
