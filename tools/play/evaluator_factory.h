// One factory for every player spec (see player_spec.h), model files included. Implemented in
// evaluator_factory.cc, in library zf_play_model: the only part of tools/play that links
// LibTorch. Thread-safe (no shared state).
#ifndef ZEROFLEET_TOOLS_PLAY_EVALUATOR_FACTORY_H_
#define ZEROFLEET_TOOLS_PLAY_EVALUATOR_FACTORY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/search/evaluator.h"

namespace zf::play {

// "uniform", "random" (a uniform evaluator: random players do not search), "seeded[:SEED]",
// or a model file loaded with LoadModel and run by a TorchEvaluator on `device` ("auto",
// "cpu", "cuda", "cuda:N"). Errors name the spec and the problem.
absl::StatusOr<std::unique_ptr<Evaluator>> MakeEvaluator(absl::string_view spec,
                                                         const std::string& device);

}  // namespace zf::play

#endif  // ZEROFLEET_TOOLS_PLAY_EVALUATOR_FACTORY_H_
