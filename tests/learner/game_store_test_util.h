// Helpers shared by the GameStore tests (game_store_test.cc, game_store_crash_test.cc):
// games whose record is derived from the id, opening a store while collecting what it visits,
// and raw file access to segments. Header-only; not thread-safe unless noted.
#ifndef ZEROFLEET_TESTS_LEARNER_GAME_STORE_TEST_UTIL_H_
#define ZEROFLEET_TESTS_LEARNER_GAME_STORE_TEST_UTIL_H_

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "learner/game_store.h"

namespace zf::store_testing {

// A record derived from the id (binary, with NULs, varying length) so content can be checked.
inline std::string RecordFor(absl::string_view id) {
  std::string r = absl::StrCat("rec", std::string(1, '\0'), id);
  const size_t extra = std::hash<std::string_view>()(std::string_view(id.data(), id.size())) % 97;
  for (size_t i = 0; i < extra; ++i) r.push_back(static_cast<char>(i * 37 + id.size()));
  return r;
}

inline StoredGame Game(absl::string_view id, int64_t version = 7) {
  return StoredGame{std::string(id), version, RecordFor(id)};
}

inline std::vector<StoredGame> Games(absl::string_view prefix, int from, int to) {
  std::vector<StoredGame> out;
  for (int i = from; i < to; ++i) out.push_back(Game(absl::StrCat(prefix, i), i));
  return out;
}

inline std::vector<std::string> IdsOf(const std::vector<StoredGame>& games) {
  std::vector<std::string> ids;
  for (const StoredGame& g : games) ids.push_back(g.game_id);
  return ids;
}

struct Opened {
  std::unique_ptr<GameStore> store;
  std::vector<StoredGame> games;  // as visited, checked to come with indices 0, 1, ...
};

inline absl::StatusOr<Opened> OpenStore(const GameStoreOptions& options) {
  Opened o;
  absl::StatusOr<std::unique_ptr<GameStore>> store =
      GameStore::Open(options, [&](const StoredGame& g, int64_t index) {
        if (index != static_cast<int64_t>(o.games.size())) {
          return absl::InternalError(absl::StrCat("index ", index, " out of order"));
        }
        o.games.push_back(g);
        return absl::OkStatus();
      });
  if (!store.ok()) return store.status();
  o.store = *std::move(store);
  return o;
}

inline GameStoreOptions InDir(const std::string& dir, int64_t segment_bytes = int64_t{64} << 20) {
  GameStoreOptions o;
  o.dir = dir;
  o.segment_bytes = segment_bytes;
  return o;
}

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void Spit(const std::string& path, absl::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline int64_t FileSize(const std::string& path) {
  return static_cast<int64_t>(std::filesystem::file_size(path));
}

inline std::string Segment(const std::string& dir, int n) {
  return absl::StrCat(dir, "/segment-", std::string(6 - std::to_string(n).size(), '0'), n, ".zgs");
}

inline int CountSegments(const std::string& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (absl::EndsWith(e.path().filename().string(), ".zgs")) ++n;
  }
  return n;
}

inline void ExpectSameGames(const std::vector<StoredGame>& got,
                            const std::vector<StoredGame>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].game_id, want[i].game_id) << i;
    EXPECT_EQ(got[i].model_version, want[i].model_version) << i;
    EXPECT_EQ(got[i].record, want[i].record) << i;
  }
}

}  // namespace zf::store_testing

#endif  // ZEROFLEET_TESTS_LEARNER_GAME_STORE_TEST_UTIL_H_
