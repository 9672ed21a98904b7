// Rules engine speed: random playouts (legal-move generation, move, win check) on 15x15.
#include <benchmark/benchmark.h>

#include <random>

#include "common/game/game_state.h"

namespace zf {
namespace {

void BM_RandomPlayout(benchmark::State& state) {
  const Rules rules{static_cast<int>(state.range(0)), 5, Rule::kFreestyle};
  std::mt19937_64 rng(1);
  int16_t legal[kMaxPoints];
  int64_t moves = 0;
  for (auto _ : state) {
    GameState game(rules);
    while (!game.IsTerminal()) {
      const int n = game.LegalMoves(absl::MakeSpan(legal));
      game.PlayUnchecked(legal[rng() % n]);
      ++moves;
    }
  }
  state.counters["moves_per_s"] =
      benchmark::Counter(static_cast<double>(moves), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RandomPlayout)->Arg(15)->Arg(20);

void BM_CopyState(benchmark::State& state) {
  GameState game(Rules{});
  game.PlayUnchecked(112);
  for (auto _ : state) {
    GameState copy = game;
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_CopyState);

}  // namespace
}  // namespace zf

BENCHMARK_MAIN();
