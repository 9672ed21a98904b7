// `zerofleet bench`: measures this machine, like `katago benchmark`. Prints a table, or one
// JSON object with --json. Each figure is shown next to the ceiling it is compared with.
#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/game/game_state.h"
#include "common/util/progress.h"
#include "tools/zerofleet/bench_json.h"
#include "tools/zerofleet/bench_nn.h"
#include "tools/zerofleet/cli.h"
#include "tools/zerofleet/commands.h"

ABSL_FLAG(double, seconds, 2.0, "Seconds to measure each configuration");

namespace zf::cli {
namespace {

// The target for the tree alone: the search must be negligible next to any network.
constexpr double kSearchTargetPerCore = 250000;

struct SearchFigure {
  int parallel_games;
  int leaves;
  double sims_per_sec;
  double avg_batch;
};

SearchFigure MeasureSearch(int parallel_games, int leaves, double seconds) {
  SelfPlayOptions o;
  o.rules = Rules{15, 5, Rule::kFreestyle};
  o.search.simulations = 400;
  o.search.leaves_per_game = leaves;
  o.search.root_noise = true;
  o.parallel_games = parallel_games;
  o.threads = 1;
  o.seed = 7;
  UniformEvaluator evaluator;
  SelfPlayStats stats;
  absl::StatusOr<double> elapsed = RunSelfPlayFor(o, &evaluator, seconds, &stats);
  if (!elapsed.ok()) {
    std::fprintf(stderr, "zerofleet: bench: %s\n", std::string(elapsed.status().message()).c_str());
    return {parallel_games, leaves, 0, 0};
  }
  const double batches = std::max<int64_t>(1, stats.batches.load());
  return {parallel_games, leaves, stats.simulations.load() / *elapsed,
          stats.evaluations.load() / batches};
}

int BenchSearch(double seconds, bool json) {
  std::vector<SearchFigure> figures;
  Progress progress;
  for (int games : {1, 64, 256}) {
    for (int leaves : {1, 4}) {
      if (!json && progress.is_tty()) {  // a transient line; logs get only the table
        progress.Update(
            absl::StrFormat("measuring parallel_games=%d leaves_per_game=%d...", games, leaves),
            /*force=*/true);
      }
      figures.push_back(MeasureSearch(games, leaves, seconds));
    }
  }
  progress.Clear();
  if (json) {
    BenchJson j = {{"bench", "search"},
                   {"board", 15},
                   {"sims_per_move", 400},
                   {"evaluator", "uniform"},
                   {"threads", 1},
                   {"target_sims_per_sec_per_core", Whole(kSearchTargetPerCore)},
                   {"results", BenchJson::array()}};
    for (const auto& f : figures) {
      j["results"].push_back({{"parallel_games", f.parallel_games},
                              {"leaves_per_game", f.leaves},
                              {"sims_per_sec", Whole(f.sims_per_sec)},
                              {"avg_batch", Rounded(f.avg_batch, 1)}});
    }
    PrintJson(j);
    return 0;
  }
  std::printf("search throughput: 15x15, 400 sims/move, uniform evaluator, 1 thread\n\n");
  std::printf("%14s %15s %14s %10s %12s\n", "parallel_games", "leaves_per_game", "sims/s",
              "avg batch", "vs target");
  for (const auto& f : figures) {
    std::printf("%14d %15d %14.0f %10.1f %11.2fx\n", f.parallel_games, f.leaves, f.sims_per_sec,
                f.avg_batch, f.sims_per_sec / kSearchTargetPerCore);
  }
  std::printf("\ntarget: %.0f sims/s per core for the tree alone\n", kSearchTargetPerCore);
  return 0;
}

int BenchRules(double seconds, bool json) {
  // Random playouts on 15x15: legal-move generation, move, win check.
  const Rules rules{15, 5, Rule::kFreestyle};
  std::mt19937_64 rng(1);
  int16_t legal[kMaxPoints];
  int64_t moves = 0, games = 0;
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Seconds(seconds);
  while (absl::Now() < end) {
    for (int g = 0; g < 100; ++g, ++games) {
      GameState state(rules);
      while (!state.IsTerminal()) {
        const int n = state.LegalMoves(absl::MakeSpan(legal));
        state.PlayUnchecked(legal[rng() % n]);
        ++moves;
      }
    }
  }
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  if (json) {
    PrintJson({{"bench", "rules"},
               {"board", 15},
               {"moves_per_sec", Whole(moves / elapsed)},
               {"games_per_sec", Whole(games / elapsed)}});
  } else {
    std::printf("rules: random playouts on 15x15 freestyle, 1 thread\n");
    std::printf("  %.0f moves/s, %.0f games/s (%.1f moves/game)\n", moves / elapsed,
                games / elapsed, static_cast<double>(moves) / games);
  }
  return 0;
}

}  // namespace

int BenchTransport(double seconds, bool json);  // cmd_bench_transport.cc

namespace {

int RunBenchCommand(const std::vector<std::string>& args) {
  const double seconds = absl::GetFlag(FLAGS_seconds);  // (0, 3600]: BenchCommand()
  const bool json = absl::GetFlag(FLAGS_json);
  if (args.size() != 1) return Fail("bench needs one of: search, rules, nn, selfplay, transport");
  if (args[0] == "search") return BenchSearch(seconds, json);
  if (args[0] == "rules") return BenchRules(seconds, json);
  if (args[0] == "transport") return BenchTransport(seconds, json);
  if (args[0] == "nn") return BenchNn(seconds, json);
  if (args[0] == "selfplay") return BenchSelfPlay(seconds, json);
  return Fail(
      absl::StrCat("unknown benchmark '", args[0], "' (search, rules, nn, selfplay, transport)"));
}

}  // namespace

Command BenchCommand() {
  return {"bench",
          "measure this machine: search (tree alone), rules, nn (network alone), selfplay (with "
          "the network, vs its ceiling), transport (gRPC inference server)",
          "zerofleet bench search|rules|nn|selfplay|transport [--json] [--seconds S]",
          Concat({{FLAGS_json, {FLAGS_seconds, FlagRange::Positive(3600)}, FLAGS_device},
                  BenchNnFlags(),
                  RuleFlags(),
                  SearchFlags()}),
          RunBenchCommand};
}

}  // namespace zf::cli
