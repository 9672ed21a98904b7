// The files behind a run's ratings (written by the Rater, read by `zerofleet ratings`).
// Implemented in rating_log.cc. Not thread-safe (one owner).
//
//   <run_dir>/ratings.jsonl        one line per rated model version: its Elo when rated
//   <run_dir>/ratings/games.jsonl  one line per match played for rating (the fit's input)
//   <run_dir>/ratings/v<N>.zfm     the rated models (later opponents; playable)
//
// Lines are appended and fsynced. A line that does not parse (a torn write, an edit) is
// reported by file and line number and skipped, never fatal: the fit is rebuilt from the
// matches that remain.
#ifndef ZEROFLEET_TOOLS_PLAY_RATING_LOG_H_
#define ZEROFLEET_TOOLS_PLAY_RATING_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tools/play/elo_fit.h"

namespace zf::play {

// JSON has no infinity: an unbounded Elo is written "+inf" / "-inf" (Python's float() reads
// it, and so does this file's reader). Used by the rating files and `zerofleet ratings --json`.
nlohmann::json EloJson(double elo);

// Games between two players, from a's point of view.
struct RatingMatch {
  double time = 0;  // unix seconds
  std::string a;
  std::string b;
  int64_t wins = 0;
  int64_t draws = 0;
  int64_t losses = 0;
};

// A model version as rated right after its games.
struct RatedVersion {
  int64_t version = 0;
  int64_t step = 0;    // training steps at the time
  int64_t games = 0;   // self-play games at the time
  double minutes = 0;  // training minutes at the time (this run, resumes added up)
  double elo = 0;      // anchored: net-less search at 400 playouts = 0
  double elo_low = 0;  // 95% interval
  double elo_high = 0;
  int64_t rating_games = 0;  // games this version played for rating
  double time = 0;           // unix seconds
};

class RatingLog {
 public:
  // Reads both files if present; `create` makes the ratings folder (for writing). `warn` gets
  // one line per skipped line.
  static absl::StatusOr<std::unique_ptr<RatingLog>> Open(
      const std::string& run_dir, const std::function<void(const std::string&)>& warn,
      bool create = true);

  const std::vector<RatingMatch>& matches() const { return matches_; }
  const std::vector<RatedVersion>& versions() const { return versions_; }
  // Every match as fit input.
  std::vector<PairResult> PairResults() const;

  absl::Status AppendMatch(const RatingMatch& match);
  absl::Status AppendVersion(const RatedVersion& version);

  std::string ModelPath(int64_t version) const;
  const std::string& run_dir() const { return run_dir_; }

  static std::string VersionName(int64_t version) { return "v" + std::to_string(version); }

 private:
  explicit RatingLog(std::string run_dir) : run_dir_(std::move(run_dir)) {}

  std::string run_dir_;
  std::vector<RatingMatch> matches_;
  std::vector<RatedVersion> versions_;
};

}  // namespace zf::play

#endif  // ZEROFLEET_TOOLS_PLAY_RATING_LOG_H_
