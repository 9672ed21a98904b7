// `zerofleet evaluate`: a match between two players (models, baselines or a pbrain engine),
// with W/D/L, Elo and its 95% interval, and an optional SPRT (tools/play/arena.h, rating.h).
#include <cmath>
#include <cstdio>
#include <memory>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/game/game_record.h"
#include "common/util/file_io.h"
#include "common/util/progress.h"
#include "tools/play/arena.h"
#include "tools/play/evaluator_factory.h"
#include "tools/play/openings.h"
#include "tools/play/player_spec.h"
#include "tools/play/psq.h"
#include "tools/play/rating.h"
#include "tools/zerofleet/cli.h"
#include "tools/zerofleet/commands.h"

ABSL_DECLARE_FLAG(int, games);           // cmd_selfplay.cc

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
std::string JsonNumber(double v) {
  return std::isfinite(v) ? absl::StrFormat("%.4f", v) : std::string("null");
}

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
  }
  return out + "\"";
}

std::string EngineName(const std::string& command) {
  std::string first = command.substr(0, command.find(' '));
  const size_t slash = first.rfind('/');
  return slash == std::string::npos ? first : first.substr(slash + 1);
}

}  // namespace

int RunEvaluateCommand(const std::vector<std::string>& args) {
  if (!args.empty()) return Fail(absl::StrCat("unexpected argument '", args[0], "'"));
  absl::StatusOr<Rules> rules = RulesFromFlags();
  if (!rules.ok()) return Fail(rules.status());
  absl::StatusOr<SearchOptions> search = SearchOptionsFromFlags();
  if (!search.ok()) return Fail(search.status());
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  const std::string opponent_cmd = absl::GetFlag(FLAGS_opponent_cmd);

  play::ArenaOptions options;
  options.rules = *rules;
  options.games = absl::GetFlag(FLAGS_games);
  options.parallel_games = opponent_cmd.empty() ? absl::GetFlag(FLAGS_parallel_games)
                                                : absl::GetFlag(FLAGS_opponent_parallel);
  options.sample_moves = absl::GetFlag(FLAGS_sample_moves);
  options.seed = seed;
  std::vector<play::Opening> openings = play::BuiltinOpenings();
  if (const std::string file = absl::GetFlag(FLAGS_openings); !file.empty()) {
    absl::StatusOr<std::vector<play::Opening>> read = play::ReadOpeningsFile(file);
    if (!read.ok()) return Fail(absl::StrCat("--openings: ", read.status().message()));
    openings = *std::move(read);
  }
  options.openings = play::OpeningsForRules(openings, options.rules);
  if (absl::Status s = play::ValidateArenaOptions(options); !s.ok()) {
    return Fail(absl::StrCat("--", s.message()));
  }

  play::SprtOptions sprt;
  sprt.elo0 = absl::GetFlag(FLAGS_sprt_elo0);
  sprt.elo1 = absl::GetFlag(FLAGS_sprt_elo1);
  sprt.alpha = absl::GetFlag(FLAGS_sprt_alpha);
  sprt.beta = absl::GetFlag(FLAGS_sprt_beta);
  const bool use_sprt = sprt.elo0 != sprt.elo1;
  if (use_sprt) {
    if (absl::Status s = play::ValidateSprtOptions(sprt); !s.ok())
      return Fail(absl::StrCat("--", s.message()));
  }

  std::unique_ptr<Evaluator> evaluators[2];
  absl::StatusOr<play::ArenaPlayer> p1 =
      MakePlayer("model1", absl::GetFlag(FLAGS_model1), *search, seed, &evaluators[0]);
  if (!p1.ok()) return Fail(p1.status());
  absl::StatusOr<play::ArenaPlayer> p2;
  if (opponent_cmd.empty()) {
    p2 = MakePlayer("model2", absl::GetFlag(FLAGS_model2), *search, seed + 1, &evaluators[1]);
    if (!p2.ok()) return Fail(p2.status());
  } else {
    play::ArenaPlayer engine;
    engine.kind = play::PlayerKind::kEngine;
    engine.name = EngineName(opponent_cmd);
    engine.engine.command = opponent_cmd;
    const int turn_ms = absl::GetFlag(FLAGS_opponent_turn_ms);
    const int grace_ms = absl::GetFlag(FLAGS_opponent_grace_ms);
    if (turn_ms < 0 || grace_ms < 0)
      return Fail("--opponent-turn-ms and --opponent-grace-ms must be >= 0");
    engine.engine.turn_time = absl::Milliseconds(turn_ms);
    engine.engine.grace = absl::Milliseconds(grace_ms);
    p2 = engine;
  }
  if (p1->name == p2->name) {
    p1->name += "#1";
    p2->name += "#2";
  }

  // With --json, stdout carries only the JSON object; the text goes to stderr.
  const bool json = absl::GetFlag(FLAGS_json);
  FILE* text = json ? stderr : stdout;
  std::fprintf(
      text, "evaluate: %s vs %s, %s, %d playouts/move, %zu openings, %lld games (%d at once)%s\n",
      p1->name.c_str(), p2->name.c_str(), DescribeRules(options.rules).c_str(), search->simulations,
      options.openings.size(), static_cast<long long>(options.games),
      static_cast<int>(std::min<int64_t>(options.parallel_games, options.games)),
      use_sprt ? absl::StrFormat(", SPRT elo0=%g elo1=%g alpha=%g beta=%g", sprt.elo0, sprt.elo1,
                                 sprt.alpha, sprt.beta)
                     .c_str()
               : "");
  if (options.sample_moves == 0 &&
      options.games > 2 * static_cast<int64_t>(options.openings.size()) &&
      p1->kind != play::PlayerKind::kRandom && p2->kind == play::PlayerKind::kSearch) {
    std::fprintf(text,
                 "note: %zu openings x 2 colours < %lld games and both players search "
                 "deterministically: games repeat (use --sample-moves or --openings)\n",
                 options.openings.size(), static_cast<long long>(options.games));
  }
  std::fflush(text);

  Progress progress;
  play::SprtStatus sprt_status;
  int64_t sprt_games = 0;
  const absl::Time start = absl::Now();
  absl::StatusOr<play::ArenaResult> result = play::RunArena(
      options, *p1, *p2, [&](const play::ArenaGame& game, const play::MatchScore& score) {
        if (game.reason.find("forfeits") != std::string::npos) {
          progress.Log(absl::StrCat("game ", game.index + 1, ": ", game.reason));
        }
        const play::EloEstimate elo = play::EstimateElo(score);
        std::string line = absl::StrFormat(
            "%lld/%lld games: +%lld =%lld -%lld, Elo %s", static_cast<long long>(score.games()),
            static_cast<long long>(options.games), static_cast<long long>(score.wins),
            static_cast<long long>(score.draws), static_cast<long long>(score.losses),
            play::FormatElo(elo.elo));
        bool stop = false;
        if (use_sprt) {
          sprt_status = play::ComputeSprt(score, sprt);
          sprt_games = score.games();
          absl::StrAppend(&line, absl::StrFormat(", LLR %.2f [%.2f, %.2f]", sprt_status.llr,
                                                 sprt_status.lower_bound, sprt_status.upper_bound));
          stop = sprt_status.decision != play::SprtDecision::kContinue;
        }
        progress.Update(line, stop || score.games() == options.games);
        return stop;
      });
  progress.Finish();
  if (!result.ok()) return Fail(result.status());
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);

  const play::MatchScore& score = result->score;
  const play::EloEstimate elo = play::EstimateElo(score);
  std::fprintf(text, "\n%s vs %s: W/D/L %lld/%lld/%lld in %lld games (%.1f s)\n", p1->name.c_str(),
               p2->name.c_str(), static_cast<long long>(score.wins),
               static_cast<long long>(score.draws), static_cast<long long>(score.losses),
               static_cast<long long>(score.games()), seconds);
  std::fprintf(text, "score %.1f%% +- %.1f%%, Elo %s [%s, %s] (95%%), LOS %.1f%%\n",
               100 * elo.score, 100 * 1.959964 * elo.score_stderr, play::FormatElo(elo.elo).c_str(),
               play::FormatElo(elo.elo_low).c_str(), play::FormatElo(elo.elo_high).c_str(),
               100 * elo.los);
  if (use_sprt) {
    std::fprintf(text, "SPRT: LLR %.2f, bounds [%.2f, %.2f]: %s after %lld games\n",
                 sprt_status.llr, sprt_status.lower_bound, sprt_status.upper_bound,
                 play::SprtDecisionName(sprt_status.decision), static_cast<long long>(sprt_games));
  }
  int forfeits = 0;
  for (const play::ArenaGame& g : result->games)
    forfeits += g.reason.find("forfeits") != std::string::npos;
  if (forfeits > 0)
    std::fprintf(text, "%d game(s) ended by forfeit (see the lines above)\n", forfeits);
  if (json) {
    std::printf(
        "{\"player1\":%s,\"player2\":%s,\"wins\":%lld,\"draws\":%lld,\"losses\":%lld,"
        "\"score\":%s,\"elo\":%s,\"elo_low\":%s,\"elo_high\":%s,\"sprt_llr\":%s,"
        "\"sprt\":\"%s\"}\n",
        JsonString(p1->name).c_str(), JsonString(p2->name).c_str(),
        static_cast<long long>(score.wins), static_cast<long long>(score.draws),
        static_cast<long long>(score.losses), JsonNumber(elo.score).c_str(),
        JsonNumber(elo.elo).c_str(), JsonNumber(elo.elo_low).c_str(),
        JsonNumber(elo.elo_high).c_str(), JsonNumber(sprt_status.llr).c_str(),
        use_sprt ? play::SprtDecisionName(sprt_status.decision) : "off");
  }

  if (const std::string path = absl::GetFlag(FLAGS_save); !path.empty()) {
    std::vector<GameRecord> records;
    for (const play::ArenaGame& g : result->games) records.push_back(g.record);
    if (absl::Status s = WriteGameRecords(path, records); !s.ok()) return Fail(s);
    std::fprintf(text, "wrote %zu records to %s\n", records.size(), path.c_str());
  }
  if (const std::string dir = absl::GetFlag(FLAGS_psq_dir); !dir.empty()) {
    if (absl::Status s = MakeDirs(dir); !s.ok()) return Fail(s);
    for (const play::ArenaGame& g : result->games) {
      play::PsqGame psq;
      psq.size = options.rules.size;
      for (const MoveRecord& m : g.record.moves) psq.moves.push_back(m.move);
      psq.times_ms = g.move_ms;
      psq.black_name = g.player1_black ? p1->name : p2->name;
      psq.white_name = g.player1_black ? p2->name : p1->name;
      const std::string path = absl::StrFormat("%s/game_%04d.psq", dir, g.index + 1);
      if (absl::Status s = WriteFileAtomically(path, play::FormatPsq(psq)); !s.ok()) return Fail(s);
    }
    std::fprintf(text, "wrote %zu .psq files to %s\n", result->games.size(), dir.c_str());
  }
  return 0;
}

}  // namespace zf::cli
