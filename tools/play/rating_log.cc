#include "tools/play/rating_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "common/util/file_io.h"
#include "nlohmann/json.hpp"

namespace zf::play {
namespace {

using Json = nlohmann::json;

double ReadNumber(const Json& j, const char* key) {
  const Json& v = j.at(key);
  if (v.is_string()) {
    const std::string text = v.get<std::string>();
    if (text == "+inf") return std::numeric_limits<double>::infinity();
    if (text == "-inf") return -std::numeric_limits<double>::infinity();
    throw std::runtime_error(absl::StrCat(key, ": not a number"));
  }
  return v.get<double>();
}

// Appends one line and fsyncs, so an acknowledged rating survives a crash.
absl::Status AppendLine(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InternalError(absl::StrCat(path, ": ", std::strerror(errno)));
  const std::string text = line + "\n";
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return absl::InternalError(absl::StrCat(path, ": ", why));
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fdatasync(fd) == 0;
  ::close(fd);
  if (!synced) return absl::InternalError(absl::StrCat(path, ": fdatasync failed"));
  return absl::OkStatus();
}

// Calls parse(json) for each line; a line that fails is reported and skipped.
template <typename Parse>
void ReadLines(const std::string& path, const std::function<void(const std::string&)>& warn,
               Parse parse) {
  std::ifstream in(path);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    try {
      parse(Json::parse(line));
    } catch (const std::exception& e) {
      if (warn) warn(absl::StrCat(path, " line ", number, ": skipped (", e.what(), ")"));
    }
  }
}

}  // namespace

nlohmann::json EloJson(double v) {
  if (std::isfinite(v)) return Json(v);
  return Json(v > 0 ? "+inf" : "-inf");
}

absl::StatusOr<std::unique_ptr<RatingLog>> RatingLog::Open(
    const std::string& run_dir, const std::function<void(const std::string&)>& warn, bool create) {
  std::unique_ptr<RatingLog> log(new RatingLog(run_dir));
  if (create) {
    if (absl::Status s = MakeDirs(run_dir + "/ratings"); !s.ok()) return s;
  }
  ReadLines(run_dir + "/ratings/games.jsonl", warn, [&](const Json& j) {
    RatingMatch m;
    m.time = j.at("time").get<double>();
    m.a = j.at("a").get<std::string>();
    m.b = j.at("b").get<std::string>();
    m.wins = j.at("wins").get<int64_t>();
    m.draws = j.at("draws").get<int64_t>();
    m.losses = j.at("losses").get<int64_t>();
    if (m.a.empty() || m.b.empty() || m.a == m.b || m.wins < 0 || m.draws < 0 || m.losses < 0) {
      throw std::runtime_error("bad players or counts");
    }
    log->matches_.push_back(std::move(m));
  });
  ReadLines(run_dir + "/ratings.jsonl", warn, [&](const Json& j) {
    RatedVersion v;
    v.version = j.at("version").get<int64_t>();
    v.step = j.at("step").get<int64_t>();
    v.games = j.at("games").get<int64_t>();
    v.minutes = j.at("minutes").get<double>();
    v.elo = ReadNumber(j, "elo");
    v.elo_low = ReadNumber(j, "elo_low");
    v.elo_high = ReadNumber(j, "elo_high");
    v.rating_games = j.at("rating_games").get<int64_t>();
    v.time = j.at("time").get<double>();
    log->versions_.push_back(v);
  });
  return log;
}

std::vector<PairResult> RatingLog::PairResults() const {
  std::vector<PairResult> out;
  out.reserve(matches_.size());
  for (const RatingMatch& m : matches_) {
    out.push_back({m.a, m.b, static_cast<double>(m.wins), static_cast<double>(m.draws),
                   static_cast<double>(m.losses)});
  }
  return out;
}

absl::Status RatingLog::AppendMatch(const RatingMatch& m) {
  const Json j = {{"time", m.time}, {"a", m.a},         {"b", m.b},
                  {"wins", m.wins}, {"draws", m.draws}, {"losses", m.losses}};
  if (absl::Status s = AppendLine(run_dir_ + "/ratings/games.jsonl", j.dump()); !s.ok()) return s;
  matches_.push_back(m);
  return absl::OkStatus();
}

absl::Status RatingLog::AppendVersion(const RatedVersion& v) {
  const Json j = {{"version", v.version},
                  {"step", v.step},
                  {"games", v.games},
                  {"minutes", v.minutes},
                  {"elo", EloJson(v.elo)},
                  {"elo_low", EloJson(v.elo_low)},
                  {"elo_high", EloJson(v.elo_high)},
                  {"rating_games", v.rating_games},
                  {"time", v.time}};
  if (absl::Status s = AppendLine(run_dir_ + "/ratings.jsonl", j.dump()); !s.ok()) return s;
  versions_.push_back(v);
  return absl::OkStatus();
}

std::string RatingLog::ModelPath(int64_t version) const {
  return absl::StrCat(run_dir_, "/ratings/", VersionName(version), ".zfm");
}

}  // namespace zf::play
