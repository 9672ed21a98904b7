// `zerofleet evaluate`: a match between two players (models, baselines or a pbrain engine),
// with W/D/L, Elo and its 95% interval, and an optional SPRT (tools/play/arena.h, rating.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/game/game_record.h"
#include "common/util/file_io.h"
#include "common/util/progress.h"
#include "nlohmann/json.hpp"
#include "tools/play/arena.h"
#include "tools/play/evaluator_factory.h"
#include "tools/play/openings.h"
#include "tools/play/player_spec.h"
#include "tools/play/psq.h"
#include "tools/play/rating.h"
#include "tools/zerofleet/cli.h"
#include "tools/zerofleet/commands.h"

ABSL_DECLARE_FLAG(int, games);  // cmd_selfplay.cc

ABSL_FLAG(std::string, model1, "uniform", "First player: a model file, uniform, random, seeded:N");
ABSL_FLAG(std::string, model2, "random", "Second player (ignored with --opponent-cmd)");
ABSL_FLAG(std::string, openings, "",
          "Openings file (Piskvork openings.txt: dx,dy offsets from the centre per line); "
          "default: the 26 built-in three-stone openings");
ABSL_FLAG(int, sample_moves, 0,
          "Moves after the opening that search players sample by visit count (variety)");
ABSL_FLAG(double, sprt_elo0, 0, "SPRT H0: Elo difference at most this");
ABSL_FLAG(double, sprt_elo1, 0, "SPRT H1: at least this; SPRT runs when sprt-elo1 > sprt-elo0");
ABSL_FLAG(double, sprt_alpha, 0.05, "SPRT false-positive rate");
ABSL_FLAG(double, sprt_beta, 0.05, "SPRT false-negative rate");
ABSL_FLAG(std::string, opponent_cmd, "",
          "Play against this Gomocup (pbrain) engine command instead of --model2");
ABSL_FLAG(int, opponent_turn_ms, 1000, "Engine time per move (INFO timeout_turn), milliseconds");
ABSL_FLAG(int, opponent_grace_ms, 500, "Extra wait before an engine forfeits on time");
ABSL_FLAG(int, opponent_parallel, 1,
          "Games at once against --opponent-cmd (each runs its own engine process)");
ABSL_FLAG(std::string, save, "", "Write the games to this record file (zerofleet format)");
ABSL_FLAG(std::string, psq_dir, "", "Also write each game as a Piskvork .psq file here");

namespace zf::cli {
namespace {

// A player from a spec; `evaluator` keeps the evaluator alive.
absl::StatusOr<play::ArenaPlayer> MakePlayer(const std::string& flag, const std::string& spec_text,
                                             const SearchOptions& search, int64_t seed,
                                             std::unique_ptr<Evaluator>* evaluator) {
  absl::StatusOr<play::PlayerSpec> spec = play::ParsePlayerSpec(spec_text);
  if (!spec.ok())
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", spec.status().message()));
  play::ArenaPlayer player;
  player.name = spec->name;
  if (spec->kind == play::SpecKind::kRandom) {
    player.kind = play::PlayerKind::kRandom;
    return player;
  }
  absl::StatusOr<std::unique_ptr<Evaluator>> made =
      play::MakeEvaluator(spec_text, absl::GetFlag(FLAGS_device));
  if (!made.ok())
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", made.status().message()));
  *evaluator = *std::move(made);
  player.kind = play::PlayerKind::kSearch;
  player.evaluator = evaluator->get();
  player.search.search = search;
  player.search.search.root_noise = false;
  player.search.leaves_per_round = search.leaves_per_game;
  player.search.seed = static_cast<uint64_t>(seed);
  player.playouts = search.simulations;
  return player;
}

// JSON has no infinity: null stands for an unbounded Elo.
nlohmann::json JsonNumber(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

std::string EngineName(const std::string& command) {
  std::string first = command.substr(0, command.find(' '));
  const size_t slash = first.rfind('/');
  return slash == std::string::npos ? first : first.substr(slash + 1);
}

// 1. The match: rules, games, openings (built-in or --openings), sampling.
absl::StatusOr<play::ArenaOptions> ArenaOptionsFromFlags(const Rules& rules) {
  play::ArenaOptions options;
  options.rules = rules;
  options.games = absl::GetFlag(FLAGS_games);
  options.parallel_games = absl::GetFlag(FLAGS_opponent_cmd).empty()
                               ? absl::GetFlag(FLAGS_parallel_games)
                               : absl::GetFlag(FLAGS_opponent_parallel);
  options.sample_moves = absl::GetFlag(FLAGS_sample_moves);
  options.seed = absl::GetFlag(FLAGS_seed);
  std::vector<play::Opening> openings = play::BuiltinOpenings();
  if (const std::string file = absl::GetFlag(FLAGS_openings); !file.empty()) {
    absl::StatusOr<std::vector<play::Opening>> read = play::ReadOpeningsFile(file);
    if (!read.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--openings: ", read.status().message()));
    }
    openings = *std::move(read);
  }
  options.openings = play::OpeningsForRules(openings, options.rules);
  if (absl::Status s = play::ValidateArenaOptions(options); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", s.message()));
  }
  return options;
}

// 2. The SPRT, when --sprt-elo1 differs from --sprt-elo0.
struct SprtSetting {
  play::SprtOptions options;
  bool on() const { return options.elo0 != options.elo1; }
};

absl::StatusOr<SprtSetting> SprtFromFlags() {
  SprtSetting sprt;
  sprt.options.elo0 = absl::GetFlag(FLAGS_sprt_elo0);
  sprt.options.elo1 = absl::GetFlag(FLAGS_sprt_elo1);
  sprt.options.alpha = absl::GetFlag(FLAGS_sprt_alpha);
  sprt.options.beta = absl::GetFlag(FLAGS_sprt_beta);
  if (sprt.on()) {
    if (absl::Status s = play::ValidateSprtOptions(sprt.options); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--", s.message()));
    }
  }
  return sprt;
}

// 3. The two players: --model1 against --model2 or a pbrain engine (--opponent-cmd).
struct Players {
  play::ArenaPlayer p1, p2;
  std::unique_ptr<Evaluator> evaluators[2];  // keep the players' evaluators alive
};

absl::StatusOr<std::unique_ptr<Players>> PlayersFromFlags(const SearchOptions& search) {
  auto players = std::make_unique<Players>();
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  absl::StatusOr<play::ArenaPlayer> p1 =
      MakePlayer("model1", absl::GetFlag(FLAGS_model1), search, seed, &players->evaluators[0]);
  if (!p1.ok()) return p1.status();
  players->p1 = *std::move(p1);
  const std::string opponent_cmd = absl::GetFlag(FLAGS_opponent_cmd);
  if (opponent_cmd.empty()) {
    absl::StatusOr<play::ArenaPlayer> p2 = MakePlayer("model2", absl::GetFlag(FLAGS_model2), search,
                                                      seed + 1, &players->evaluators[1]);
    if (!p2.ok()) return p2.status();
    players->p2 = *std::move(p2);
  } else {
    const int turn_ms = absl::GetFlag(FLAGS_opponent_turn_ms);  // ranges: EvaluateCommand()
    const int grace_ms = absl::GetFlag(FLAGS_opponent_grace_ms);
    players->p2.kind = play::PlayerKind::kEngine;
    players->p2.name = EngineName(opponent_cmd);
    players->p2.engine.command = opponent_cmd;
    players->p2.engine.turn_time = absl::Milliseconds(turn_ms);
    players->p2.engine.grace = absl::Milliseconds(grace_ms);
  }
  if (players->p1.name == players->p2.name) {
    players->p1.name += "#1";
    players->p2.name += "#2";
  }
  return players;
}

// 4. What is about to be played (and a warning when deterministic games would repeat).
void PrintHeader(FILE* text, const play::ArenaOptions& options, const Players& players,
                 const SearchOptions& search, const SprtSetting& sprt) {
  const play::SprtOptions& o = sprt.options;
  std::fprintf(
      text, "evaluate: %s vs %s, %s, %d playouts/move, %zu openings, %lld games (%d at once)%s\n",
      players.p1.name.c_str(), players.p2.name.c_str(), DescribeRules(options.rules).c_str(),
      search.simulations, options.openings.size(), static_cast<long long>(options.games),
      static_cast<int>(std::min<int64_t>(options.parallel_games, options.games)),
      sprt.on() ? absl::StrFormat(", SPRT elo0=%g elo1=%g alpha=%g beta=%g", o.elo0, o.elo1,
                                  o.alpha, o.beta)
                      .c_str()
                : "");
  if (options.sample_moves == 0 &&
      options.games > 2 * static_cast<int64_t>(options.openings.size()) &&
      players.p1.kind != play::PlayerKind::kRandom &&
      players.p2.kind == play::PlayerKind::kSearch) {
    std::fprintf(text,
                 "note: %zu openings x 2 colours < %lld games and both players search "
                 "deterministically: games repeat (use --sample-moves or --openings)\n",
                 options.openings.size(), static_cast<long long>(options.games));
  }
  std::fflush(text);
}

// 5. The match, with a progress line (and the SPRT's stop) after every game.
absl::StatusOr<play::ArenaResult> PlayMatch(const play::ArenaOptions& options,
                                            const Players& players, const SprtSetting& sprt,
                                            play::SprtStatus* sprt_status, int64_t* sprt_games) {
  Progress progress;
  absl::StatusOr<play::ArenaResult> result = play::RunArena(
      options, players.p1, players.p2,
      [&](const play::ArenaGame& game, const play::MatchScore& score) {
        if (game.reason.find("forfeits") != std::string::npos) {
          progress.Log(absl::StrCat("game ", game.index + 1, ": ", game.reason));
        }
        std::string line = absl::StrFormat(
            "%lld/%lld games: +%lld =%lld -%lld, Elo %s", static_cast<long long>(score.games()),
            static_cast<long long>(options.games), static_cast<long long>(score.wins),
            static_cast<long long>(score.draws), static_cast<long long>(score.losses),
            play::FormatElo(play::EstimateElo(score).elo));
        bool stop = false;
        if (sprt.on()) {
          *sprt_status = play::ComputeSprt(score, sprt.options);
          *sprt_games = score.games();
          absl::StrAppend(&line,
                          absl::StrFormat(", LLR %.2f [%.2f, %.2f]", sprt_status->llr,
                                          sprt_status->lower_bound, sprt_status->upper_bound));
          stop = sprt_status->decision != play::SprtDecision::kContinue;
        }
        progress.Update(line, stop || score.games() == options.games);
        return stop;
      });
  progress.Finish();
  return result;
}

// 6. The result: text (stdout, or stderr with --json) and the JSON object.
void PrintResult(FILE* text, const Players& players, const play::ArenaResult& result,
                 const SprtSetting& sprt, const play::SprtStatus& sprt_status, int64_t sprt_games,
                 double seconds) {
  const play::MatchScore& score = result.score;
  const play::EloEstimate elo = play::EstimateElo(score);
  std::fprintf(text, "\n%s vs %s: W/D/L %lld/%lld/%lld in %lld games (%.1f s)\n",
               players.p1.name.c_str(), players.p2.name.c_str(), static_cast<long long>(score.wins),
               static_cast<long long>(score.draws), static_cast<long long>(score.losses),
               static_cast<long long>(score.games()), seconds);
  std::fprintf(text, "score %.1f%% +- %.1f%%, Elo %s [%s, %s] (95%%), LOS %.1f%%\n",
               100 * elo.score, 100 * 1.959964 * elo.score_stderr, play::FormatElo(elo.elo).c_str(),
               play::FormatElo(elo.elo_low).c_str(), play::FormatElo(elo.elo_high).c_str(),
               100 * elo.los);
  if (sprt.on()) {
    std::fprintf(text, "SPRT: LLR %.2f, bounds [%.2f, %.2f]: %s after %lld games\n",
                 sprt_status.llr, sprt_status.lower_bound, sprt_status.upper_bound,
                 play::SprtDecisionName(sprt_status.decision), static_cast<long long>(sprt_games));
  }
  int forfeits = 0;
  for (const play::ArenaGame& g : result.games) {
    forfeits += g.reason.find("forfeits") != std::string::npos;
  }
  if (forfeits > 0) {
    std::fprintf(text, "%d game(s) ended by forfeit (see the lines above)\n", forfeits);
  }
  if (absl::GetFlag(FLAGS_json)) {
    const nlohmann::json j = {
        {"player1", players.p1.name},
        {"player2", players.p2.name},
        {"wins", score.wins},
        {"draws", score.draws},
        {"losses", score.losses},
        {"score", JsonNumber(elo.score)},
        {"elo", JsonNumber(elo.elo)},
        {"elo_low", JsonNumber(elo.elo_low)},
        {"elo_high", JsonNumber(elo.elo_high)},
        {"sprt_llr", JsonNumber(sprt_status.llr)},
        {"sprt", sprt.on() ? play::SprtDecisionName(sprt_status.decision) : "off"}};
    std::printf("%s\n", j.dump().c_str());
  }
}

// 7. The games, as a record file (--save) and Piskvork .psq files (--psq-dir).
absl::Status SaveGames(FILE* text, const play::ArenaResult& result, const Players& players,
                       int board_size) {
  if (const std::string path = absl::GetFlag(FLAGS_save); !path.empty()) {
    std::vector<GameRecord> records;
    for (const play::ArenaGame& g : result.games) records.push_back(g.record);
    if (absl::Status s = WriteGameRecords(path, records); !s.ok()) return s;
    std::fprintf(text, "wrote %zu records to %s\n", records.size(), path.c_str());
  }
  if (const std::string dir = absl::GetFlag(FLAGS_psq_dir); !dir.empty()) {
    if (absl::Status s = MakeDirs(dir); !s.ok()) return s;
    for (const play::ArenaGame& g : result.games) {
      play::PsqGame psq;
      psq.size = board_size;
      for (const MoveRecord& m : g.record.moves) psq.moves.push_back(m.move);
      psq.times_ms = g.move_ms;
      psq.black_name = g.player1_black ? players.p1.name : players.p2.name;
      psq.white_name = g.player1_black ? players.p2.name : players.p1.name;
      const std::string path = absl::StrFormat("%s/game_%04d.psq", dir, g.index + 1);
      if (absl::Status s = WriteFileAtomically(path, play::FormatPsq(psq)); !s.ok()) return s;
    }
    std::fprintf(text, "wrote %zu .psq files to %s\n", result.games.size(), dir.c_str());
  }
  return absl::OkStatus();
}

int RunEvaluateCommand(const std::vector<std::string>& args) {
  if (!args.empty()) return Fail(absl::StrCat("unexpected argument '", args[0], "'"));
  absl::StatusOr<Rules> rules = RulesFromFlags();
  if (!rules.ok()) return Fail(rules.status());
  absl::StatusOr<SearchOptions> search = SearchOptionsFromFlags();
  if (!search.ok()) return Fail(search.status());
  absl::StatusOr<play::ArenaOptions> options = ArenaOptionsFromFlags(*rules);
  if (!options.ok()) return Fail(options.status());
  absl::StatusOr<SprtSetting> sprt = SprtFromFlags();
  if (!sprt.ok()) return Fail(sprt.status());
  absl::StatusOr<std::unique_ptr<Players>> players = PlayersFromFlags(*search);
  if (!players.ok()) return Fail(players.status());

  // With --json, stdout carries only the JSON object; the text goes to stderr.
  FILE* text = absl::GetFlag(FLAGS_json) ? stderr : stdout;
  PrintHeader(text, *options, **players, *search, *sprt);
  play::SprtStatus sprt_status;
  int64_t sprt_games = 0;
  const absl::Time start = absl::Now();
  absl::StatusOr<play::ArenaResult> result =
      PlayMatch(*options, **players, *sprt, &sprt_status, &sprt_games);
  if (!result.ok()) return Fail(result.status());
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  PrintResult(text, **players, *result, *sprt, sprt_status, sprt_games, seconds);
  if (absl::Status s = SaveGames(text, *result, **players, rules->size); !s.ok()) return Fail(s);
  return 0;
}

}  // namespace

Command EvaluateCommand() {
  return {"evaluate", "rate two players: W/D/L, Elo with 95% interval, optional SPRT",
          "zerofleet evaluate --model1 A --model2 B|random|uniform [--games N] "
          "[--sims S] [--opponent-cmd ENGINE]",
          Concat({RuleFlags(),
                  MoveSearchFlags(),
                  {FLAGS_model1,
                   FLAGS_model2,
                   {FLAGS_games, FlagRange::AtLeast(1)},
                   FLAGS_openings,
                   {FLAGS_sample_moves, FlagRange::AtLeast(0)},
                   FLAGS_sprt_elo0,
                   FLAGS_sprt_elo1,
                   {FLAGS_sprt_alpha, FlagRange{0, 0.5, true, true}},
                   {FLAGS_sprt_beta, FlagRange{0, 0.5, true, true}},
                   FLAGS_opponent_cmd,
                   {FLAGS_opponent_turn_ms, FlagRange::AtLeast(0)},
                   {FLAGS_opponent_grace_ms, FlagRange::AtLeast(0)},
                   {FLAGS_opponent_parallel, FlagRange::Between(1, 4096)},
                   {FLAGS_parallel_games, FlagRange::Between(1, 4096)},
                   FLAGS_device,
                   FLAGS_save,
                   FLAGS_psq_dir,
                   FLAGS_seed,
                   FLAGS_json}}),
          RunEvaluateCommand};
}

}  // namespace zf::cli
