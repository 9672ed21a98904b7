# Finds every dependency; a missing one stops configure with the Debian package to install.
# Run scripts/setup.sh to install them all.

macro(zf_require pkg debian)
  find_package(${pkg} ${ARGN} QUIET)
  if(NOT ${pkg}_FOUND)
    message(FATAL_ERROR
      "zerofleet: dependency '${pkg}' not found. Install the Debian package '${debian}' "
      "(or run scripts/setup.sh). For a CUDA LibTorch, add its path to CMAKE_PREFIX_PATH.")
  endif()
endmacro()

find_package(Threads REQUIRED)
zf_require(absl libabsl-dev CONFIG)
zf_require(ZLIB zlib1g-dev)
zf_require(OpenSSL libssl-dev)
zf_require(Protobuf protobuf-compiler)
zf_require(gRPC "libgrpc++-dev protobuf-compiler-grpc" CONFIG)
zf_require(prometheus-cpp prometheus-cpp-dev CONFIG)
zf_require(GTest "libgtest-dev libgmock-dev")
zf_require(benchmark libbenchmark-dev)
zf_require(nlohmann_json nlohmann-json3-dev CONFIG)

# LibTorch: Debian's CPU build (libtorch-dev) or a CUDA build through CMAKE_PREFIX_PATH.
# Its CMake config adds global flags we do not want; keep only the imported target.
zf_require(Torch libtorch-dev)

find_path(HTTPLIB_INCLUDE_DIR httplib.h)
if(NOT HTTPLIB_INCLUDE_DIR)
  message(FATAL_ERROR "zerofleet: cpp-httplib not found. Install the Debian package 'libcpp-httplib-dev'.")
endif()
