#!/usr/bin/env bash
# Installs the Debian 12 packages zerofleet needs, only those that are missing.
# Works as root or through sudo. Safe to run again: does nothing when all are present.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ccache
  # gRPC + protobuf (with the C++ gRPC codegen plugin) and Abseil
  libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libabsl-dev libssl-dev zlib1g-dev
  # LibTorch (CPU) and a fast BLAS for it (Debian's LibTorch otherwise uses reference BLAS)
  libtorch-dev libopenblas0-pthread
  # metrics: prometheus-cpp core + cpp-httplib to serve /metrics
  prometheus-cpp-dev libcpp-httplib-dev
  # JSON files (ratings)
  nlohmann-json3-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # tools used by integration tests
  prometheus docker-compose python3-grpcio python3-protobuf iproute2 kubernetes-client
)

# Checks CI runs (.ci/run sets ZF_DEV_TOOLS=1): formatting, clang's thread-safety analysis, and
# the Docker tests (`ctest -L docker`: an engine, and debootstrap for the base images).
if [ -n "${ZF_DEV_TOOLS:-}" ]; then PACKAGES+=(clang-format clang docker.io debootstrap); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# kubectl may come from another source (e.g. Google's package); accept any kubectl on PATH.
if command -v kubectl >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do [ "$p" = kubernetes-client ] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1
  fi
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
