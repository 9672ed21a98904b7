// RunConfig (proto/zerofleet/v1/learner.proto) <-> the self-play settings it carries. The
// learner fills it from its options; actors build their SelfPlayOptions from it and need no
// settings of their own. Implemented in run_config.cc. All functions are thread-safe.
#ifndef ZEROFLEET_COMMON_RPC_RUN_CONFIG_H_
#define ZEROFLEET_COMMON_RPC_RUN_CONFIG_H_

#include "absl/status/statusor.h"
#include "common/search/self_play.h"
#include "zerofleet/v1/learner.pb.h"

namespace zf {

// Rules, search and parallel_games of `options` (threads, seed and max_games stay local).
void FillRunConfig(const SelfPlayOptions& options, zerofleet::v1::RunConfig* config);

// The self-play settings of `config`, validated: a bad value is an INVALID_ARGUMENT naming the
// field (an actor must refuse a config it cannot play, not crash on it).
absl::StatusOr<SelfPlayOptions> SelfPlayOptionsFromRunConfig(
    const zerofleet::v1::RunConfig& config);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_RPC_RUN_CONFIG_H_
