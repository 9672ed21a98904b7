#!/usr/bin/env bash
# GPU check kit, step 1 (on a Debian 12 machine with network): downloads the Debian 12 .deb
# files of every build dependency except LibTorch and the C/C++ toolchain into
# scripts/gpu/debs/ (git-ignored), so that scripts/gpu/run.sh can build zerofleet on an
# offline GPU machine that has CUDA, CMake, ninja and a PyTorch, but none of these packages.
# Carry the folder with the source tree (the run step never installs into /).
#
# Usage: bash scripts/gpu/prepare.sh        (prints the package count and size)
set -euo pipefail
cd "$(dirname "$0")"
# What zerofleet links or runs at build time (cmake/Dependencies.cmake), LibTorch excepted.
ROOTS=(libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev
       libabsl-dev prometheus-cpp-dev libcpp-httplib-dev nlohmann-json3-dev libgtest-dev
       libgmock-dev libbenchmark-dev libssl-dev zlib1g-dev)
# Present on any machine that can compile C++ (glibc, the GCC runtime) or not needed by the
# build: prometheus-cpp's CMake config looks for its push library and curl (we never link
# them), so those files come along, but not curl's own TLS and network libraries.
BASE='^(libc6|libc6-dev|libc-dev-bin|libcrypt1|libcrypt-dev|libgcc-s1|libstdc\+\+6|gcc-12-base|linux-libc-dev|libnsl2|libnsl-dev|libtirpc3|libtirpc-dev|libtirpc-common|rpcsvc-proto|libgnutls30|libgssapi-krb5-2|libk5crypto3|libkrb5-3|libkrb5support0|libkeyutils1|libcom-err2|libldap-2.5-0|libsasl2-2|libsasl2-modules-db|libdb5.3|librtmp1|libssh2-1|libpsl5|libidn2-0|libunistring2|libnettle8|libhogweed6|libgmp10|libp11-kit0|libtasn1-6|libffi8|libnghttp2-14|libzstd1)$'
command -v apt-get >/dev/null || { echo "prepare: needs apt-get (Debian 12)" >&2; exit 1; }
mapfile -t packages < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances "${ROOTS[@]}" | grep -v '^[ <]' | sort -u |
  grep -Ev "$BASE")
rm -rf debs.partial && mkdir debs.partial
(cd debs.partial && apt-get download "${packages[@]}" >/dev/null)
rm -rf debs && mv debs.partial debs
printf '%s\n' "${packages[@]}" > debs/PACKAGES
echo "prepare: ${#packages[@]} packages, $(du -sh debs | cut -f1) in scripts/gpu/debs/"
