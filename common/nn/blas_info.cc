#include "common/nn/blas_info.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <fstream>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace zf {
namespace {

// Paths of mapped shared objects whose file name suggests a BLAS implementation.
std::set<std::string> MappedBlasLibraries() {
  std::set<std::string> paths;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    const std::string file = path.substr(path.rfind('/') + 1);
    if (absl::StartsWith(file, "libcublas")) continue;  // the GPU's, not the CPU's BLAS
    if (absl::StrContains(file, "blas") || absl::StrContains(file, "mkl_") ||
        absl::StrContains(file, "blis")) {
      paths.insert(path);
    }
  }
  return paths;
}

std::string Classify(const std::set<std::string>& paths) {
  bool openblas = false, mkl = false, blis = false, atlas = false;
  for (const std::string& p : paths) {
    openblas |= absl::StrContains(p, "openblas");
    mkl |= absl::StrContains(p, "mkl");
    blis |= absl::StrContains(p, "blis");
    atlas |= absl::StrContains(p, "atlas");
  }
  if (mkl) return "MKL";
  if (openblas) {
    // OpenBLAS reports its version, target core and threading.
    using ConfigFn = char* (*)();
    auto config = reinterpret_cast<ConfigFn>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
    return config != nullptr ? absl::StrCat("OpenBLAS [", config(), "]") : "OpenBLAS";
  }
  if (blis) return "BLIS";
  if (atlas) return "ATLAS";
  if (!paths.empty()) return "reference BLAS (slow; install libopenblas0-pthread)";
  // PyTorch's own builds link MKL statically: no separate library to see.
  return "none loaded separately (built into LibTorch, or none)";
}

}  // namespace

std::string BlasInfo() {
  const std::set<std::string> paths = MappedBlasLibraries();
  return absl::StrCat("BLAS: ", Classify(paths), " (", absl::StrJoin(paths, ", "),
                      "); oneDNN: ", at::hasMKLDNN() ? "yes" : "no",
                      "; intra-op threads: ", at::get_num_threads());
}

}  // namespace zf
