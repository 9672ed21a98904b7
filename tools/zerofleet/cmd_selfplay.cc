// `zerofleet selfplay`: plays games with the batched search and prints one of them.
#include <cstdio>
#include <memory>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/game/game_record.h"
#include "common/game/notation.h"
#include "common/util/progress.h"
#include "tools/zerofleet/cli.h"
#include "tools/zerofleet/commands.h"

ABSL_FLAG(int, games, 4, "Games to play");
ABSL_FLAG(std::string, evaluator, "uniform",
          "Position evaluator: uniform (no knowledge) or seeded (deterministic test evaluator)");
ABSL_FLAG(std::string, out, "", "Write the game records to this file (zerofleet record format)");
ABSL_FLAG(bool, show, true, "Print the first finished game's board and moves");

namespace zf::cli {
namespace {

const char* OutcomeText(Outcome o) {
  switch (o) {
    case Outcome::kBlackWin:
      return "black (X) wins";
    case Outcome::kWhiteWin:
      return "white (O) wins";
    case Outcome::kDraw:
      return "draw";
    default:
      return "unfinished";
  }
}

absl::StatusOr<std::unique_ptr<Evaluator>> MakeEvaluator(const std::string& kind, uint64_t seed) {
  if (kind == "uniform") return std::make_unique<UniformEvaluator>();
  if (kind == "seeded") return std::make_unique<SeededTestEvaluator>(seed);
  return absl::InvalidArgumentError(
      absl::StrCat("--evaluator: unknown evaluator '", kind, "' (uniform or seeded)"));
}

// The game's final board, its moves and its result.
void ShowGame(const GameRecord& game) {
  GameState state(game.rules);
  std::vector<int16_t> moves;
  for (const MoveRecord& m : game.moves) {
    state.PlayUnchecked(m.move);
    moves.push_back(m.move);
  }
  std::printf("%s\n", RenderBoard(state).c_str());
  std::printf("moves: %s\n", FormatMoveList(moves, game.rules.size).c_str());
  std::printf("result: %s after %zu moves\n\n", OutcomeText(game.result), game.moves.size());
}

int RunSelfPlayCommand(const std::vector<std::string>& args) {
  if (!args.empty()) return Fail(absl::StrCat("unexpected argument '", args[0], "'"));
  absl::StatusOr<SelfPlayOptions> options = SelfPlayOptionsFromFlags();
  if (!options.ok()) return Fail(options.status());
  const int games = absl::GetFlag(FLAGS_games);  // >= 1: SelfPlayCommand()
  options->max_games = games;
  options->parallel_games = std::min(options->parallel_games, games);

  absl::StatusOr<std::unique_ptr<Evaluator>> evaluator =
      MakeEvaluator(absl::GetFlag(FLAGS_evaluator), options->seed);
  if (!evaluator.ok()) return Fail(evaluator.status());

  absl::Mutex mu;
  std::vector<GameRecord> records;
  SelfPlayStats stats;
  Progress progress;
  const absl::Time start = absl::Now();
  std::atomic<bool> done{false};
  std::thread reporter([&] {
    while (!done.load()) {
      absl::SleepFor(absl::Milliseconds(200));
      const double secs = absl::ToDoubleSeconds(absl::Now() - start);
      progress.Update(absl::StrFormat("selfplay: %d/%d games, %d moves, %.0f sims/s",
                                      stats.games.load(), games, stats.moves.load(),
                                      stats.simulations.load() / std::max(secs, 1e-9)));
    }
  });
  absl::Status status = RunSelfPlay(
      *options, evaluator->get(),
      [&](GameRecord&& r) {
        absl::MutexLock lock(&mu);
        records.push_back(std::move(r));
      },
      &stats);
  done = true;
  reporter.join();
  progress.Finish();
  if (!status.ok()) return Fail(status);

  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  if (absl::GetFlag(FLAGS_show) && !records.empty()) ShowGame(records.front());
  int wins[4] = {0, 0, 0, 0};
  for (const GameRecord& r : records) ++wins[static_cast<int>(r.result)];
  std::printf("%zu games (%s): black %d, white %d, draws %d; %lld sims in %.1f s = %.0f sims/s\n",
              records.size(), DescribeRules(options->rules).c_str(), wins[1], wins[2], wins[3],
              static_cast<long long>(stats.simulations.load()), secs,
              stats.simulations.load() / std::max(secs, 1e-9));
  const std::string out = absl::GetFlag(FLAGS_out);
  if (!out.empty()) {
    if (absl::Status s = WriteGameRecords(out, records); !s.ok()) return Fail(s);
    std::printf("wrote %zu records to %s\n", records.size(), out.c_str());
  }
  return 0;
}

}  // namespace

Command SelfPlayCommand() {
  return {"selfplay", "play self-play games and print one (a demo of the search)",
          "zerofleet selfplay [--games N] [--sims S] [--out games.zfgr]",
          Concat({RuleFlags(),
                  SearchFlags(),
                  {{FLAGS_games, FlagRange::AtLeast(1)}, FLAGS_evaluator, FLAGS_out, FLAGS_show}}),
          RunSelfPlayCommand};
}

}  // namespace zf::cli
