#include "tools/play/player_spec.h"

#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace zf::play {

absl::StatusOr<PlayerSpec> ParsePlayerSpec(absl::string_view text) {
  const absl::string_view spec = absl::StripAsciiWhitespace(text);
  PlayerSpec out;
  if (spec.empty()) {
    return absl::InvalidArgumentError(
        "empty player: expected uniform, random, seeded[:SEED] or a model file");
  }
  if (spec == "uniform") {
    out.kind = SpecKind::kUniform;
  } else if (spec == "random") {
    out.kind = SpecKind::kRandom;
  } else if (spec == "seeded" || absl::StartsWith(spec, "seeded:")) {
    out.kind = SpecKind::kSeeded;
    if (spec.size() > 6 && !absl::SimpleAtoi(spec.substr(7), &out.seed)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad player '", spec, "': expected seeded:<number>"));
    }
  } else {
    out.kind = SpecKind::kModelFile;
    out.path = std::string(spec);
    const size_t slash = spec.rfind('/');
    out.name = std::string(slash == absl::string_view::npos ? spec : spec.substr(slash + 1));
    return out;
  }
  out.name = std::string(spec);
  return out;
}

absl::StatusOr<std::unique_ptr<Evaluator>> MakeBuiltinEvaluator(const PlayerSpec& spec) {
  switch (spec.kind) {
    case SpecKind::kUniform:
    case SpecKind::kRandom:
      return std::unique_ptr<Evaluator>(std::make_unique<UniformEvaluator>());
    case SpecKind::kSeeded:
      return std::unique_ptr<Evaluator>(std::make_unique<SeededTestEvaluator>(spec.seed));
    case SpecKind::kModelFile:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", spec.path, "' is a model file: this build path has no LibTorch evaluator"));
}

std::string FindModelPath(const ModelLocations& locations) {
  if (!locations.flag.empty()) return locations.flag;
  if (!locations.env.empty()) return locations.env;
  if (!locations.exe_dir.empty()) {
    const std::string beside = absl::StrCat(locations.exe_dir, "/", kModelFileName);
    struct stat st;
    if (stat(beside.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return beside;
  }
  return "";
}

std::string ExecutableDir() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  const std::string path(buf, static_cast<size_t>(n));
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash == 0 ? 1 : slash);
}

}  // namespace zf::play
