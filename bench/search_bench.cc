// Self-play search throughput with the uniform evaluator (the tree alone, no network).
// Counter sims_per_s is compared against 250,000 per core (issue: the tree must be negligible
// next to the network). Args: parallel_games, leaves_per_game.
#include <benchmark/benchmark.h>

#include "common/search/self_play.h"

namespace zf {
namespace {

constexpr double kTargetSimsPerCore = 250000;

void BM_SelfPlaySearch(benchmark::State& state) {
  SelfPlayOptions o;
  o.rules = Rules{15, 5, Rule::kFreestyle};
  o.search.simulations = 400;
  o.search.leaves_per_game = static_cast<int>(state.range(1));
  o.search.root_noise = true;
  o.parallel_games = static_cast<int>(state.range(0));
  o.max_games = o.parallel_games;  // one game per slot
  UniformEvaluator evaluator;
  int64_t sims = 0;
  for (auto _ : state) {
    SelfPlayStats stats;
    absl::Status s = RunSelfPlay(
        o, &evaluator, [](GameRecord&&) {}, &stats);
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
    sims += stats.simulations.load();
  }
  state.counters["sims_per_s"] =
      benchmark::Counter(static_cast<double>(sims), benchmark::Counter::kIsRate);
  state.counters["target_per_core"] = kTargetSimsPerCore;
}
BENCHMARK(BM_SelfPlaySearch)
    ->ArgsProduct({{1, 64, 256}, {1, 4}})
    ->ArgNames({"games", "leaves"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace zf

BENCHMARK_MAIN();
