// Network-bound benchmarks of `zerofleet bench` (implemented in cmd_bench_nn.cc).
#ifndef ZEROFLEET_TOOLS_ZEROFLEET_BENCH_NN_H_
#define ZEROFLEET_TOOLS_ZEROFLEET_BENCH_NN_H_

#include "absl/status/statusor.h"
#include "common/search/evaluator.h"
#include "common/search/self_play.h"
#include "tools/zerofleet/flag_spec.h"

namespace zf::cli {

// Positions/s of `evaluator` at `batch` on random positions of an n x n board.
absl::StatusOr<double> MeasureEvalsPerSecond(Evaluator* evaluator, int batch, int board,
                                             double seconds);
// Self-play for `seconds`, then stopped; returns the seconds it actually ran.
absl::StatusOr<double> RunSelfPlayFor(const SelfPlayOptions& options, Evaluator* evaluator,
                                      double seconds, SelfPlayStats* stats);
// --nets, --batches, --precisions, --pad-batches, --recommend.
FlagList BenchNnFlags();
int BenchNn(double seconds, bool json);        // bench nn
int BenchSelfPlay(double seconds, bool json);  // bench selfplay

}  // namespace zf::cli

#endif  // ZEROFLEET_TOOLS_ZEROFLEET_BENCH_NN_H_
