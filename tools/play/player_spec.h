// Who plays: a player spec names an evaluator or a model file, and where pbrain-zerofleet
// finds its model. Implemented in player_spec.cc. Thread-safe (pure functions).
//
//   uniform         search with uniform priors and value 0 (no knowledge)
//   random          no search: a uniformly random legal move (its evaluator is uniform, used
//                   only for `hint` in `zerofleet play`)
//   seeded[:SEED]   search with the deterministic test evaluator (tests, demos)
//   anything else   a model file path (LibTorch; see evaluator_factory.h)
//
// Building an evaluator for a model file needs LibTorch, so it lives apart, in
// evaluator_factory.h (library zf_play_model); everything here is torch-free.
#ifndef ZEROFLEET_TOOLS_PLAY_PLAYER_SPEC_H_
#define ZEROFLEET_TOOLS_PLAY_PLAYER_SPEC_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/search/evaluator.h"

namespace zf::play {

enum class SpecKind { kUniform, kRandom, kSeeded, kModelFile };

struct PlayerSpec {
  SpecKind kind = SpecKind::kUniform;
  std::string path;   // kModelFile
  uint64_t seed = 1;  // kSeeded
  std::string name;   // for tables and .psq files: "uniform", "random", "seeded:7", file name
};

absl::StatusOr<PlayerSpec> ParsePlayerSpec(absl::string_view spec);

// The evaluator of a spec that needs no model file; an error for kModelFile.
absl::StatusOr<std::unique_ptr<Evaluator>> MakeBuiltinEvaluator(const PlayerSpec& spec);

// Where pbrain-zerofleet looks for its model, in order: the --model flag, the ZEROFLEET_MODEL
// environment variable, then `zerofleet.model` in the executable's folder.
struct ModelLocations {
  std::string flag;     // "" when not given
  std::string env;      // "" when unset
  std::string exe_dir;  // "" when unknown
};
inline constexpr char kModelFileName[] = "zerofleet.model";
// The first location given (the file beside the executable only if it exists); "" if none.
std::string FindModelPath(const ModelLocations& locations);
// The folder of /proc/self/exe; "" if it cannot be read.
std::string ExecutableDir();

}  // namespace zf::play

#endif  // ZEROFLEET_TOOLS_PLAY_PLAYER_SPEC_H_
