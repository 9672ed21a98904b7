// `zerofleet ratings RUN_DIR`: the run's strength table, refit from every rating game
// (tools/play/rating_log.h, elo_fit.h): each rated version with its Elo and 95% interval
// (anchor: net-less search at 400 playouts = 0), the anchors, and the history as rated.
#include <cstdio>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "tools/play/elo_fit.h"
#include "tools/play/rater.h"
#include "tools/play/rating.h"
#include "tools/play/rating_log.h"
#include "tools/zerofleet/cli.h"
#include "tools/zerofleet/commands.h"

namespace zf::cli {

namespace {

int RunRatingsCommand(const std::vector<std::string>& args) {
  if (args.size() != 1) return Fail("usage: zerofleet ratings RUN_DIR");
  const std::string& run_dir = args[0];
  absl::StatusOr<std::unique_ptr<play::RatingLog>> log = play::RatingLog::Open(
      run_dir, [](const std::string& warning) { std::fprintf(stderr, "%s\n", warning.c_str()); },
      /*create=*/false);
  if (!log.ok()) return Fail(log.status());
  if ((*log)->matches().empty()) {
    return Fail(absl::StrCat(run_dir, ": no rating games yet (ratings/games.jsonl)"));
  }
  play::EloFitOptions fit_options;
  fit_options.anchor = play::AnchorName(play::kAnchorPlayouts);
  absl::StatusOr<std::vector<play::PlayerRating>> fit =
      play::FitElo((*log)->PairResults(), fit_options);
  if (!fit.ok()) return Fail(fit.status());

  if (absl::GetFlag(FLAGS_json)) {
    nlohmann::json out = {{"anchor", fit_options.anchor}};
    for (const play::PlayerRating& r : *fit) {
      out["players"].push_back({{"name", r.name},
                                {"rated", r.rated},
                                {"elo", play::EloJson(r.elo)},
                                {"elo_low", play::EloJson(r.elo_low)},
                                {"elo_high", play::EloJson(r.elo_high)},
                                {"games", r.games}});
    }
    for (const play::RatedVersion& v : (*log)->versions()) {
      out["history"].push_back({{"version", v.version},
                                {"minutes", v.minutes},
                                {"step", v.step},
                                {"games", v.games},
                                {"elo", play::EloJson(v.elo)},
                                {"elo_low", play::EloJson(v.elo_low)},
                                {"elo_high", play::EloJson(v.elo_high)}});
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("ratings of %s (refit over %zu matches; %s = 0, 95%% intervals)\n\n", run_dir.c_str(),
              (*log)->matches().size(), fit_options.anchor.c_str());
  std::printf("%-24s %9s %21s %7s\n", "player", "Elo", "95% interval", "games");
  for (const play::PlayerRating& r : *fit) {
    if (!r.rated) {
      std::printf("%-24s %9s %21s %7.0f\n", r.name.c_str(), "-", "not connected", r.games);
      continue;
    }
    std::printf(
        "%-24s %9s %21s %7.0f\n", r.name.c_str(), play::FormatElo(r.elo).c_str(),
        absl::StrCat("[", play::FormatElo(r.elo_low), ", ", play::FormatElo(r.elo_high), "]")
            .c_str(),
        r.games);
  }
  if (!(*log)->versions().empty()) {
    std::printf("\nas rated during training:\n%8s %8s %8s %9s %9s %21s\n", "version", "minutes",
                "step", "games", "Elo", "95% interval");
    for (const play::RatedVersion& v : (*log)->versions()) {
      std::printf(
          "%8lld %8.1f %8lld %9lld %9s %21s\n", static_cast<long long>(v.version), v.minutes,
          static_cast<long long>(v.step), static_cast<long long>(v.games),
          play::FormatElo(v.elo).c_str(),
          absl::StrCat("[", play::FormatElo(v.elo_low), ", ", play::FormatElo(v.elo_high), "]")
              .c_str());
    }
  }
  return 0;
}

}  // namespace

Command RatingsCommand() {
  return {"ratings",
          "a run's strength: every rated version's Elo with 95% interval (refit from all rating "
          "games), anchors, history",
          "zerofleet ratings RUN_DIR [--json]",
          {FLAGS_json},
          RunRatingsCommand};
}

}  // namespace zf::cli
