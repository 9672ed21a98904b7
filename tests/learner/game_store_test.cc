// GameStore on real files: round trips, idempotency, segment rollover, torn tails cut at every
// byte, corruption reported with file and offset, bad input. Crash, write-error and concurrency
// tests are in game_store_crash_test.cc (same test binary).
#include "learner/game_store.h"

#include <cstdio>
#include <filesystem>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tests/learner/game_store_test_util.h"
#include "tests/testing/temp_dir.h"

namespace zf {
namespace {

using ::zf::store_testing::CountSegments;
using ::zf::store_testing::ExpectSameGames;
using ::zf::store_testing::FileSize;
using ::zf::store_testing::Game;
using ::zf::store_testing::Games;
using ::zf::store_testing::IdsOf;
using ::zf::store_testing::InDir;
using ::zf::store_testing::Opened;
using ::zf::store_testing::OpenStore;
using ::zf::store_testing::Segment;
using ::zf::store_testing::Slurp;
using ::zf::store_testing::Spit;
using ::zf::testing::ScopedTempDir;

TEST(GameStoreTest, RoundTripAcrossReopen) {
  ScopedTempDir tmp("game_store_");
  const GameStoreOptions options = InDir(tmp.Path("games/nested"));  // created if missing
  std::vector<StoredGame> all;
  {
    absl::StatusOr<Opened> o = OpenStore(options);
    ASSERT_TRUE(o.ok()) << o.status();
    EXPECT_EQ(o->games.size(), 0u);
    EXPECT_EQ(o->store->recovery().segments, 0);
    std::vector<StoredGame> batch = Games("a", 0, 3);
    batch.push_back(StoredGame{std::string("bin\0\xff", 5), -3, ""});  // binary id, empty record
    batch.push_back(
        StoredGame{std::string(GameStore::kMaxIdBytes, 'x'), INT64_MAX, std::string(1 << 20, 'r')});
    absl::StatusOr<std::vector<bool>> r = o->store->Append(batch);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, std::vector<bool>(5, true));
    all = batch;
    for (int i = 3; i < 6; ++i) {
      std::vector<StoredGame> one = {Game(absl::StrCat("a", i), i)};
      ASSERT_TRUE(o->store->Append(one).ok());
      all.push_back(one[0]);
    }
    EXPECT_EQ(o->store->size(), 8);
    EXPECT_TRUE(o->store->Contains("a4"));
    EXPECT_TRUE(o->store->Contains(std::string("bin\0\xff", 5)));
    EXPECT_FALSE(o->store->Contains("bin"));
    EXPECT_EQ(o->store->commits(), 4);
    EXPECT_TRUE(o->store->Append({}).ok());
  }
  absl::StatusOr<Opened> o = OpenStore(options);
  ASSERT_TRUE(o.ok()) << o.status();
  ExpectSameGames(o->games, all);
  EXPECT_EQ(o->store->size(), 8);
  EXPECT_EQ(o->store->recovery().games, 8);
  EXPECT_EQ(o->store->recovery().segments, 1);
  EXPECT_EQ(o->store->recovery().truncated_bytes, 0);
  EXPECT_EQ(o->store->recovery().note, "");
}

TEST(GameStoreTest, DuplicatesWithinAndAcrossCallsAndReopens) {
  ScopedTempDir tmp("game_store_");
  const GameStoreOptions options = InDir(tmp.Path("g"));
  {
    absl::StatusOr<Opened> o = OpenStore(options);
    ASSERT_TRUE(o.ok()) << o.status();
    std::vector<StoredGame> batch = {Game("x"), Game("y"), Game("x", 99), Game("z"), Game("y")};
    absl::StatusOr<std::vector<bool>> r = o->store->Append(batch);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, (std::vector<bool>{true, true, false, true, false}));
    r = o->store->Append(std::vector<StoredGame>{Game("z"), Game("w")});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, (std::vector<bool>{false, true}));
    EXPECT_EQ(o->store->size(), 4);
    // All duplicates: nothing written, no fdatasync.
    const int64_t commits = o->store->commits();
    r = o->store->Append(std::vector<StoredGame>{Game("w"), Game("x")});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, (std::vector<bool>{false, false}));
    EXPECT_EQ(o->store->commits(), commits);
  }
  absl::StatusOr<Opened> o = OpenStore(options);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(IdsOf(o->games), (std::vector<std::string>{"x", "y", "z", "w"}));
  EXPECT_EQ(o->games[0].model_version, 7);  // the first "x" won, not the version-99 copy
  absl::StatusOr<std::vector<bool>> r =
      o->store->Append(std::vector<StoredGame>{Game("y"), Game("v")});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, (std::vector<bool>{false, true}));
  EXPECT_EQ(o->store->size(), 5);
}

TEST(GameStoreTest, SegmentRolloverKeepsOrder) {
  ScopedTempDir tmp("game_store_");
  const GameStoreOptions options = InDir(tmp.Path("g"), 600);
  std::vector<StoredGame> all;
  {
    absl::StatusOr<Opened> o = OpenStore(options);
    ASSERT_TRUE(o.ok()) << o.status();
    int next = 0;
    for (int call = 0; call < 60; ++call) {
      std::vector<StoredGame> batch = Games("g", next, next + 1 + call % 4);
      next += static_cast<int>(batch.size());
      ASSERT_TRUE(o->store->Append(batch).ok());
      all.insert(all.end(), batch.begin(), batch.end());
    }
  }
  const int segments = CountSegments(tmp.Path("g"));
  EXPECT_GT(segments, 10);
  for (int n = 1; n <= segments; ++n) {
    // A segment is over the limit only when it holds a single batch that is.
    const int64_t size = FileSize(Segment(tmp.Path("g"), n));
    EXPECT_LE(size, 600 + 16) << n;
  }
  absl::StatusOr<Opened> o = OpenStore(options);
  ASSERT_TRUE(o.ok()) << o.status();
  ExpectSameGames(o->games, all);
  EXPECT_EQ(o->store->recovery().segments, segments);
  // Appends continue in the newest segment after a reopen.
  ASSERT_TRUE(o->store->Append(Games("late", 0, 5)).ok());
  o->store.reset();
  o = OpenStore(options);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->games.size(), all.size() + 5);
  EXPECT_EQ(o->games.back().game_id, "late4");
}

// Appends `acked` then `last` (the batch that gets torn) and returns the newest segment's bytes
// before and after `last`.
struct TornSetup {
  std::string path;
  std::string full;
  int64_t acked_size = 0;
};

void CheckTornAtEveryByte(const GameStoreOptions& options, const std::vector<StoredGame>& acked,
                          const TornSetup& setup, int64_t cut_from) {
  for (int64_t cut = cut_from; cut < static_cast<int64_t>(setup.full.size()); ++cut) {
    SCOPED_TRACE(absl::StrCat("cut at byte ", cut));
    Spit(setup.path, setup.full.substr(0, cut));
    absl::StatusOr<Opened> o = OpenStore(options);
    ASSERT_TRUE(o.ok()) << o.status();
    ExpectSameGames(o->games, acked);
    EXPECT_FALSE(o->store->Contains("last0"));
    const int64_t want_cut = std::max<int64_t>(cut - setup.acked_size, 0);
    EXPECT_EQ(o->store->recovery().truncated_bytes, cut >= 16 ? want_cut : 0);
    if (cut != setup.acked_size) {
      EXPECT_NE(o->store->recovery().note, "");
    }
    EXPECT_EQ(FileSize(setup.path), std::max<int64_t>(setup.acked_size, 16));
  }
}

TEST(GameStoreTest, TornTailAtEveryByteRecoversTheAckedPrefix) {
  ScopedTempDir tmp("game_store_");
  const GameStoreOptions options = InDir(tmp.Path("g"));
  const std::vector<StoredGame> acked = Games("acked", 0, 4);
  TornSetup setup;
  setup.path = Segment(options.dir, 1);
  {
    absl::StatusOr<Opened> o = OpenStore(options);
    ASSERT_TRUE(o.ok()) << o.status();
    ASSERT_TRUE(o->store->Append(absl::MakeConstSpan(acked).subspan(0, 2)).ok());
    ASSERT_TRUE(o->store->Append(absl::MakeConstSpan(acked).subspan(2)).ok());
    setup.acked_size = FileSize(setup.path);
    ASSERT_TRUE(o->store->Append(Games("last", 0, 3)).ok());
  }
  setup.full = Slurp(setup.path);
  ASSERT_GT(setup.full.size(), static_cast<size_t>(setup.acked_size) + 40);
  CheckTornAtEveryByte(options, acked, setup, setup.acked_size);

  // A crash can also leave zeros past the data, or a corrupt last batch: both are its tail.
  Spit(setup.path, setup.full.substr(0, setup.acked_size) + std::string(4096, '\0'));
  absl::StatusOr<Opened> o = OpenStore(options);
  ASSERT_TRUE(o.ok()) << o.status();
  ExpectSameGames(o->games, acked);
  EXPECT_EQ(o->store->recovery().truncated_bytes, 4096);
  o->store.reset();
  for (size_t i = setup.acked_size; i < setup.full.size(); i += 7) {
    std::string flipped = setup.full;
    flipped[i] ^= 0x20;
    Spit(setup.path, flipped);
    o = OpenStore(options);
    ASSERT_TRUE(o.ok()) << o.status();
    ExpectSameGames(o->games, acked);
    o->store.reset();
  }

  // After a repair the store appends and reads back normally.
  o = OpenStore(options);
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_TRUE(o->store->Append(Games("after", 0, 2)).ok());
  o->store.reset();
  o = OpenStore(options);
  ASSERT_TRUE(o.ok()) << o.status();
  std::vector<StoredGame> want = acked;
  for (const StoredGame& g : Games("after", 0, 2)) want.push_back(g);
  ExpectSameGames(o->games, want);
  EXPECT_EQ(o->store->recovery().truncated_bytes, 0);
}

TEST(GameStoreTest, TornNewSegmentAtEveryByteRecoversTheAckedPrefix) {
  // The torn batch is the first of a new segment: cuts inside its header too.
  ScopedTempDir tmp("game_store_");
  const GameStoreOptions options = InDir(tmp.Path("g"), 300);
  std::vector<StoredGame> acked;
  TornSetup setup;
  {
    absl::StatusOr<Opened> o = OpenStore(options);
    ASSERT_TRUE(o.ok()) << o.status();
    for (int i = 0; i < 12; ++i) {
      acked.push_back(Game(absl::StrCat("acked", i)));
      ASSERT_TRUE(o->store->Append(absl::MakeConstSpan(acked).subspan(i)).ok());
    }
    const int before = CountSegments(options.dir);
    ASSERT_GE(before, 2);
    std::vector<StoredGame> last = Games("last", 0, 3);
    for (StoredGame& g : last) g.record.resize(120, 'z');  // too big to fit the old segment
    ASSERT_TRUE(o->store->Append(last).ok());
    ASSERT_EQ(CountSegments(options.dir), before + 1);
    setup.path = Segment(options.dir, before + 1);
  }
  setup.full = Slurp(setup.path);
  setup.acked_size = 16;  // the header; nothing acked in this file
  CheckTornAtEveryByte(options, acked, setup, 0);
}

// Appends single games to a store with small segments; returns the batch boundaries of each
// segment file (offset 0 = its header).
std::map<int, std::vector<int64_t>> FillSegments(const GameStoreOptions& options, int games) {
  std::map<int, std::vector<int64_t>> starts;
  absl::StatusOr<Opened> o = OpenStore(options);
  EXPECT_TRUE(o.ok()) << o.status();
  if (!o.ok()) return starts;
  for (int i = 0; i < games; ++i) {
    EXPECT_TRUE(o->store->Append(std::vector<StoredGame>{Game(absl::StrCat("g", i))}).ok());
    const int n = CountSegments(options.dir);
    if (starts[n].empty()) starts[n] = {0, 16};
    starts[n].push_back(FileSize(Segment(options.dir, n)));
  }
  return starts;
}

// The start of the unit (header or batch) holding byte i.
int64_t UnitStart(const std::vector<int64_t>& boundaries, int64_t i) {
  int64_t start = 0;
  for (int64_t b : boundaries) {
    if (b <= i) start = b;
  }
  return start;
}

TEST(GameStoreTest, FlippedByteInAnOlderSegmentNamesFileAndOffset) {
  ScopedTempDir tmp("game_store_");
  const GameStoreOptions options = InDir(tmp.Path("g"), 400);
  std::map<int, std::vector<int64_t>> starts = FillSegments(options, 20);
  ASSERT_GE(starts.size(), 3u);
  const std::string path = Segment(options.dir, 1);
  const std::string good = Slurp(path);
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x01;
    Spit(path, bad);
    absl::StatusOr<Opened> o = OpenStore(options);
    ASSERT_FALSE(o.ok()) << "flipped byte " << i;
    EXPECT_EQ(o.status().code(), absl::StatusCode::kDataLoss) << o.status();
    const int64_t start = UnitStart(starts[1], static_cast<int64_t>(i));
    EXPECT_TRUE(absl::StrContains(o.status().message(), path)) << o.status();
    EXPECT_TRUE(absl::StrContains(o.status().message(), absl::StrCat("byte offset ", start, " ")))
        << "flipped byte " << i << ": " << o.status();
  }
  Spit(path, good);
  // An older segment cut short is not a torn tail either.
  Spit(path, good.substr(0, good.size() - 1));
  absl::StatusOr<Opened> o = OpenStore(options);
  ASSERT_FALSE(o.ok());
  EXPECT_TRUE(absl::StrContains(o.status().message(), "older segment")) << o.status();
  Spit(path, good);
  EXPECT_TRUE(OpenStore(options).ok());
}

TEST(GameStoreTest, FlippedByteMidFileInTheNewestSegmentIsAnError) {
  ScopedTempDir tmp("game_store_");
  const GameStoreOptions options = InDir(tmp.Path("g"));
  std::map<int, std::vector<int64_t>> starts = FillSegments(options, 3);
  ASSERT_EQ(starts.size(), 1u);
  const std::vector<int64_t>& b = starts[1];  // 0, 16, end1, end2, end3
  ASSERT_EQ(b.size(), 5u);
  const std::string path = Segment(options.dir, 1);
  const std::string good = Slurp(path);
  // Every byte before the last batch: header and the two batches followed by an intact one.
  for (int64_t i = 0; i < b[3]; ++i) {
    std::string bad = good;
    bad[i] ^= 0x80;
    Spit(path, bad);
    absl::StatusOr<Opened> o = OpenStore(options);
    ASSERT_FALSE(o.ok()) << "flipped byte " << i;
    EXPECT_EQ(o.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_TRUE(absl::StrContains(o.status().message(), path)) << o.status();
    EXPECT_TRUE(
        absl::StrContains(o.status().message(), absl::StrCat("byte offset ", UnitStart(b, i), " ")))
        << "flipped byte " << i << ": " << o.status();
    if (i >= 16) {
      EXPECT_TRUE(absl::StrContains(o.status().message(), "not a torn write")) << o.status();
    }
  }
}

TEST(GameStoreTest, MissingOrMisnamedSegmentIsAnError) {
  ScopedTempDir tmp("game_store_");
  const GameStoreOptions options = InDir(tmp.Path("g"), 300);
  FillSegments(options, 12);
  ASSERT_GE(CountSegments(options.dir), 3);
  const std::string second = Slurp(Segment(options.dir, 2));
  std::filesystem::remove(Segment(options.dir, 2));
  absl::StatusOr<Opened> o = OpenStore(options);
  ASSERT_FALSE(o.ok());
  EXPECT_TRUE(absl::StrContains(o.status().message(), "segment-000002.zgs is missing"))
      << o.status();
  Spit(Segment(options.dir, 2), second);
  ASSERT_TRUE(OpenStore(options).ok());
  // A segment renamed out of place would skip its games: refuse.
  Spit(tmp.Path("g/segment-7.zgs"), second);
  o = OpenStore(options);
  ASSERT_FALSE(o.ok());
  EXPECT_TRUE(absl::StrContains(o.status().message(), "segment-7.zgs")) << o.status();
  std::filesystem::remove(tmp.Path("g/segment-7.zgs"));
  // Segment 2's bytes under number 3: the header names the wrong segment.
  const std::string third = Slurp(Segment(options.dir, 3));
  Spit(Segment(options.dir, 3), second);
  o = OpenStore(options);
  ASSERT_FALSE(o.ok());
  EXPECT_TRUE(absl::StrContains(o.status().message(), "bad segment header")) << o.status();
  Spit(Segment(options.dir, 3), third);
  EXPECT_TRUE(OpenStore(options).ok());
}
TEST(GameStoreTest, BadGamesAndOptionsAreRejected) {
  ScopedTempDir tmp("game_store_");
  GameStoreOptions options = InDir(tmp.Path("g"));
  options.max_record_bytes = 1000;
  absl::StatusOr<Opened> o = OpenStore(options);
  ASSERT_TRUE(o.ok()) << o.status();
  GameStore& store = *o->store;
  auto expect_invalid = [&](std::vector<StoredGame> games, absl::string_view text) {
    absl::StatusOr<std::vector<bool>> r = store.Append(games);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(r.status().message(), text)) << r.status();
  };
  expect_invalid({Game("ok1"), StoredGame{"", 1, "r"}}, "game 1 of the call has an empty id");
  expect_invalid({Game("ok1"), Game(std::string(129, 'q'))}, "is 129 bytes (limit 128)");
  expect_invalid({StoredGame{"fat-game", 1, std::string(1001, 'r')}, Game("ok1")},
                 "game \"fat-game\": record of 1001 bytes exceeds the limit of 1000");
  EXPECT_EQ(store.size(), 0);  // a bad game rejects the whole call
  EXPECT_FALSE(store.Contains("ok1"));
  EXPECT_TRUE(store
                  .Append(std::vector<StoredGame>{StoredGame{"edge", 1, std::string(1000, 'r')},
                                                  Game(std::string(128, 'q'))})
                  .ok());

  EXPECT_EQ(GameStore::Open(InDir(""), nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GameStore::Open(InDir(tmp.Path("h"), 0), nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  Spit(tmp.Path("file"), "x");
  EXPECT_FALSE(GameStore::Open(InDir(tmp.Path("file")), nullptr).ok());
  // One directory, one store.
  absl::StatusOr<std::unique_ptr<GameStore>> second = GameStore::Open(options, nullptr);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
  o->store.reset();
  EXPECT_TRUE(GameStore::Open(options, nullptr).ok());
}

TEST(GameStoreTest, VisitErrorAbortsOpen) {
  ScopedTempDir tmp("game_store_");
  const GameStoreOptions options = InDir(tmp.Path("g"));
  ASSERT_TRUE(OpenStore(options)->store->Append(Games("v", 0, 5)).ok());
  absl::StatusOr<std::unique_ptr<GameStore>> store =
      GameStore::Open(options, [](const StoredGame& g, int64_t index) {
        return index == 2 ? absl::InvalidArgumentError("bad record") : absl::OkStatus();
      });
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(store.status().message(), "visiting game 2 (\"v2\"): bad record"))
      << store.status();
}

TEST(GameStoreTest, IdIndexIsCompact) {
  ScopedTempDir tmp("game_store_");
  const GameStoreOptions options = InDir(tmp.Path("g"));
  absl::StatusOr<Opened> o = OpenStore(options);
  ASSERT_TRUE(o.ok()) << o.status();
  constexpr int kGames = 200000;
  std::vector<StoredGame> batch;
  for (int i = 0; i < kGames; ++i) {
    batch.push_back(StoredGame{absl::StrFormat("actor-%08x-%012d", i * 2654435761u, i), 1, "r"});
    if (batch.size() == 5000) {
      ASSERT_TRUE(o->store->Append(batch).ok());
      batch.clear();
    }
  }
  const double per_game = static_cast<double>(o->store->index_bytes()) / kGames;
  std::printf("id index: %.1f bytes per game for 27-byte ids\n", per_game);
  EXPECT_LT(per_game, 27 + 32);  // a flat_hash_set<std::string> needs ~100
}

}  // namespace
}  // namespace zf
