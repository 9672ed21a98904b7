#include "common/game/game_record.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/util/bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace zf {
namespace {

using ::testing::HasSubstr;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

// A random game as a record: some fast moves (no visit list), visit lists over legal points
// that include the move played, root values in [-1, 1]. `max_moves` < 0 plays to the end.
GameRecord RandomRecord(const Rules& rules, uint64_t id, std::mt19937* rng, int max_moves = -1) {
  GameRecord rec;
  rec.id = id;
  rec.rules = rules;
  GameState s(rules);
  std::vector<int16_t> legal(s.num_points());
  while (!s.IsTerminal() && (max_moves < 0 || static_cast<int>(rec.moves.size()) < max_moves)) {
    const int n = s.LegalMoves(absl::MakeSpan(legal));
    MoveRecord m;
    m.move = legal[(*rng)() % n];
    m.full_search = (*rng)() % 4 != 0;
    m.root_value = std::uniform_real_distribution<float>(-1, 1)(*rng);
    if (m.full_search) {
      std::set<int16_t> points = {m.move};
      for (int i = 0; i < 4; ++i) points.insert(legal[(*rng)() % n]);
      for (int16_t p : points) m.visits.emplace_back(p, 1 + (*rng)() % 1000);
    }
    EXPECT_TRUE(s.Play(m.move).ok());
    rec.moves.push_back(std::move(m));
  }
  rec.result = s.outcome();
  return rec;
}

std::vector<GameRecord> SomeRecords() {
  std::mt19937 rng(42);
  std::vector<GameRecord> records;
  records.push_back(RandomRecord(Rules{15, 5, Rule::kFreestyle}, 1, &rng));
  records.push_back(RandomRecord(Rules{7, 4, Rule::kStandard}, 2, &rng));
  records.push_back(RandomRecord(Rules{3, 3, Rule::kFreestyle}, 3, &rng));
  records.push_back(RandomRecord(Rules{20, 6, Rule::kStandard}, 0xffffffffffffffffull, &rng));
  records.push_back(RandomRecord(Rules{9, 5, Rule::kFreestyle}, 5, &rng, /*max_moves=*/6));
  records.push_back(RandomRecord(Rules{9, 5, Rule::kFreestyle}, 6, &rng, /*max_moves=*/0));
  return records;
}

// Two short records (a few hundred bytes in all), for tests that write one file per byte.
std::vector<GameRecord> SmallRecords(std::mt19937* rng) {
  return {RandomRecord(Rules{6, 4, Rule::kFreestyle}, 1, rng, /*max_moves=*/7),
          RandomRecord(Rules{3, 3, Rule::kStandard}, 2, rng)};
}

class GameRecordFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(temp_dir_.path().empty());
    dir_ = temp_dir_.path();
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  // Plain (non-atomic, no fsync) write, for the many corrupt variants. Removes the old file
  // first: on ext4, truncating a file over and over forces writeback and is ~30x slower.
  std::string WriteRaw(const std::string& name, const std::string& bytes) {
    const std::string path = Path(name);
    std::remove(path.c_str());
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  std::string ReadRaw(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Expects reading `path` to fail with DataLoss and a message naming the file.
  void ExpectDataLoss(const std::string& path, const std::string& what,
                      const std::string& detail = "") {
    absl::StatusOr<std::vector<GameRecord>> read = ReadGameRecords(path);
    ASSERT_FALSE(read.ok()) << what;
    EXPECT_TRUE(absl::IsDataLoss(read.status())) << what << ": " << read.status();
    EXPECT_THAT(Message(read.status()), HasSubstr(path)) << what;
    if (!detail.empty()) {
      EXPECT_THAT(Message(read.status()), HasSubstr(detail)) << what;
    }
  }

  const ::zf::testing::ScopedTempDir temp_dir_{"zf_game_record_"};
  std::string dir_;  // temp_dir_.path()
};

TEST_F(GameRecordFileTest, RoundTripsThroughDisk) {
  const std::vector<GameRecord> records = SomeRecords();
  int fast = 0, full = 0;
  for (const GameRecord& r : records) {
    for (const MoveRecord& m : r.moves) (m.full_search ? full : fast)++;
  }
  ASSERT_GT(fast, 0);
  ASSERT_GT(full, 0);
  const std::string path = Path("games.zfgr");
  ASSERT_TRUE(WriteGameRecords(path, records).ok());
  absl::StatusOr<std::vector<GameRecord>> read = ReadGameRecords(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) EXPECT_TRUE((*read)[i] == records[i]) << i;
}

TEST_F(GameRecordFileTest, NoRecords) {
  const std::string path = Path("empty.zfgr");
  ASSERT_TRUE(WriteGameRecords(path, {}).ok());
  EXPECT_EQ(ReadRaw(path).size(), 8u);
  absl::StatusOr<std::vector<GameRecord>> read = ReadGameRecords(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read->empty());
}

TEST_F(GameRecordFileTest, MissingFileIsNotFoundNamingThePath) {
  const std::string path = Path("missing.zfgr");
  absl::StatusOr<std::vector<GameRecord>> read = ReadGameRecords(path);
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(absl::IsNotFound(read.status()));
  EXPECT_THAT(Message(read.status()), HasSubstr(path));
}

TEST_F(GameRecordFileTest, TruncatedFileIsDataLossAtEveryCut) {
  std::mt19937 rng(3);
  const std::vector<GameRecord> records = SmallRecords(&rng);
  const std::string good = Path("good.zfgr");
  ASSERT_TRUE(WriteGameRecords(good, records).ok());
  const std::string bytes = ReadRaw(good);
  // Frame boundaries: after the 8-byte header and after each frame. A file cut exactly there is
  // a valid file with fewer records (the format has no record count, so that is undetectable).
  const size_t end_of_first = 8 + 8 + SerializeGameRecord(records[0]).size();
  ASSERT_EQ(bytes.size(), end_of_first + 8 + SerializeGameRecord(records[1]).size());
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    const std::string path = WriteRaw("cut.zfgr", bytes.substr(0, cut));
    const std::string what = "cut at " + std::to_string(cut);
    if (cut == 8 || cut == end_of_first) {
      absl::StatusOr<std::vector<GameRecord>> read = ReadGameRecords(path);
      ASSERT_TRUE(read.ok()) << what << ": " << read.status();
      EXPECT_EQ(read->size(), cut == 8 ? 0u : 1u);
    } else if (cut < 8) {
      ExpectDataLoss(path, what);
    } else {
      ExpectDataLoss(path, what, cut < end_of_first ? "record 1" : "record 2");
    }
  }
}

TEST_F(GameRecordFileTest, TruncatedHeaderSaysTruncated) {
  const std::string good = Path("good.zfgr");
  ASSERT_TRUE(WriteGameRecords(good, {}).ok());
  const std::string bytes = ReadRaw(good);
  for (size_t cut : {5u, 7u}) {
    ExpectDataLoss(WriteRaw("cut.zfgr", bytes.substr(0, cut)), "cut", "truncated");
  }
}

TEST_F(GameRecordFileTest, EveryFlippedByteIsDetected) {
  std::mt19937 rng(4);
  const std::vector<GameRecord> records = SmallRecords(&rng);
  const std::string good = Path("good.zfgr");
  ASSERT_TRUE(WriteGameRecords(good, records).ok());
  const std::string bytes = ReadRaw(good);
  ASSERT_LT(bytes.size(), 800u);  // one file per flip: keep it quick
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int mask : {0x01, 0x80}) {
      std::string corrupt = bytes;
      corrupt[i] = static_cast<char>(corrupt[i] ^ mask);
      ExpectDataLoss(WriteRaw("flip.zfgr", corrupt),
                     "byte " + std::to_string(i) + " ^ " + std::to_string(mask));
    }
  }
}

TEST_F(GameRecordFileTest, FlippedPayloadByteIsAChecksumMismatch) {
  std::mt19937 rng(5);
  const std::string good = Path("good.zfgr");
  ASSERT_TRUE(WriteGameRecords(good, {RandomRecord(Rules{}, 1, &rng)}).ok());
  std::string bytes = ReadRaw(good);
  bytes[bytes.size() - 3] ^= 0x10;
  ExpectDataLoss(WriteRaw("flip.zfgr", bytes), "payload flip", "checksum mismatch");
}

TEST_F(GameRecordFileTest, BadMagicAndBadVersion) {
  ExpectDataLoss(WriteRaw("magic.zfgr", std::string("ZFGX\x01\x00\x00\x00", 8)), "magic",
                 "bad magic");
  ExpectDataLoss(WriteRaw("text.zfgr", "hello, this is not a record file"), "text", "bad magic");
  ExpectDataLoss(WriteRaw("empty.zfgr", ""), "empty");
  ExpectDataLoss(WriteRaw("v2.zfgr", std::string("ZFGR\x02\x00\x00\x00", 8)), "version 2",
                 "unsupported version 2");
  ExpectDataLoss(WriteRaw("v0.zfgr", std::string("ZFGR\x00\x00\x00\x00", 8)), "version 0",
                 "unsupported version 0");
}

// Builds a file of [a good record, then `payload`] with valid frames and checksums, so only the
// record's contents are wrong.
std::string FileWithSecondPayload(absl::string_view payload) {
  std::mt19937 rng(6);
  std::string out("ZFGR\x01\x00\x00\x00", 8);
  AppendFrame(SerializeGameRecord(RandomRecord(Rules{7, 4, Rule::kFreestyle}, 1, &rng)), &out);
  AppendFrame(payload, &out);
  return out;
}

GameRecord Moves(const Rules& rules, const std::vector<int16_t>& moves, Outcome result) {
  GameRecord rec;
  rec.id = 9;
  rec.rules = rules;
  rec.result = result;
  for (int16_t m : moves) {
    MoveRecord mr;
    mr.move = m;
    rec.moves.push_back(mr);
  }
  return rec;
}

TEST_F(GameRecordFileTest, IllegalRecordsAreDataLossNamingFileRecordAndProblem) {
  const Rules r7{7, 4, Rule::kFreestyle};
  struct Case {
    std::string name;
    std::string payload;
    std::string detail;
  };
  std::vector<Case> cases;
  cases.push_back(
      {"occupied", SerializeGameRecord(Moves(r7, {10, 11, 10}, Outcome::kOngoing)), "move 3"});
  cases.push_back(
      {"off board", SerializeGameRecord(Moves(r7, {10, 49}, Outcome::kOngoing)), "move 2"});
  cases.push_back({"negative", SerializeGameRecord(Moves(r7, {-1}, Outcome::kOngoing)), "move 1"});
  // Black wins with 0,1,2,3 at move 7; an 8th move follows.
  cases.push_back({"after game over",
                   SerializeGameRecord(Moves(r7, {0, 7, 1, 8, 2, 9, 3, 10}, Outcome::kBlackWin)),
                   "game is over"});
  cases.push_back({"wrong result",
                   SerializeGameRecord(Moves(r7, {0, 7, 1, 8, 2, 9, 3}, Outcome::kWhiteWin)),
                   "result"});
  GameRecord visits = Moves(r7, {10, 11}, Outcome::kOngoing);
  visits.moves[1].visits = {{10, 5}};  // 10 is occupied by then
  cases.push_back({"visit to occupied", SerializeGameRecord(visits), "move 2"});
  GameRecord visits_off = Moves(r7, {10}, Outcome::kOngoing);
  visits_off.moves[0].visits = {{400, 5}};
  cases.push_back({"visit off board", SerializeGameRecord(visits_off), "move 1"});

  const std::string base = SerializeGameRecord(Moves(r7, {10, 11}, Outcome::kOngoing));
  // Header bytes: id (0..7) | size (8) | k (9) | rule (10) | result (11) | n_moves (12..15).
  std::string bad_size = base;
  bad_size[8] = 4;
  cases.push_back({"board 4", bad_size, "board size 4"});
  std::string bad_k = base;
  bad_k[9] = 9;
  cases.push_back({"k 9", bad_k, "win length 9"});
  std::string bad_rule = base;
  bad_rule[10] = 5;
  cases.push_back({"rule 5", bad_rule, "rule 5"});
  std::string bad_result = base;
  bad_result[11] = 4;
  cases.push_back({"result 4", bad_result, "result"});
  std::string many = base;
  many[12] = 50;  // 50 moves on a 49-point board
  cases.push_back({"too many moves", many, "too many moves"});
  std::string more = base;
  more[12] = 3;  // claims 3 moves, holds 2
  cases.push_back({"short moves", more, "move 3"});
  cases.push_back({"trailing", base + "x", "trailing"});
  cases.push_back({"short header", base.substr(0, 10), "header"});
  cases.push_back({"empty payload", "", "header"});

  for (const Case& c : cases) {
    const std::string path = WriteRaw("bad.zfgr", FileWithSecondPayload(c.payload));
    ExpectDataLoss(path, c.name, "record 2");
    ExpectDataLoss(path, c.name, c.detail);
    // The same payload through the in-memory parser.
    EXPECT_TRUE(absl::IsDataLoss(ParseGameRecord(c.payload).status())) << c.name;
  }
}

TEST(GameRecordTest, SerializeParseRoundTrip) {
  for (const GameRecord& rec : SomeRecords()) {
    absl::StatusOr<GameRecord> parsed = ParseGameRecord(SerializeGameRecord(rec));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_TRUE(*parsed == rec);
  }
}

TEST(GameRecordTest, EqualityNoticesEachField) {
  std::mt19937 rng(8);
  const GameRecord base = RandomRecord(Rules{7, 4, Rule::kFreestyle}, 1, &rng);
  ASSERT_GE(base.moves.size(), 2u);
  GameRecord r = base;
  r.id = 2;
  EXPECT_FALSE(r == base);
  r = base;
  r.moves[0].root_value += 0.5f;
  EXPECT_FALSE(r == base);
  r = base;
  r.moves[1].full_search = !r.moves[1].full_search;
  EXPECT_FALSE(r == base);
  r = base;
  r.moves[0].visits.emplace_back(48, 1);
  EXPECT_FALSE(r == base);
  r = base;
  r.result = Outcome::kDraw;
  EXPECT_FALSE(r == base);
}

TEST(GameRecordTest, Frames) {
  std::string data;
  AppendFrame("hello", &data);
  AppendFrame("", &data);
  AppendFrame("world!", &data);
  size_t pos = 0;
  absl::StatusOr<absl::string_view> f = ReadFrame(data, &pos);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, "hello");
  f = ReadFrame(data, &pos);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, "");
  f = ReadFrame(data, &pos);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, "world!");
  EXPECT_EQ(pos, data.size());

  // Truncated header, truncated payload, checksum mismatch: errors that leave *pos alone.
  for (size_t cut = 1; cut < 8 + 5; ++cut) {
    pos = 0;
    absl::StatusOr<absl::string_view> bad = ReadFrame(absl::string_view(data).substr(0, cut), &pos);
    ASSERT_FALSE(bad.ok());
    EXPECT_TRUE(absl::IsDataLoss(bad.status()));
    EXPECT_THAT(Message(bad.status()), HasSubstr("truncated"));
    EXPECT_EQ(pos, 0u);
  }
  std::string flipped = data;
  flipped[9] ^= 1;
  pos = 0;
  absl::StatusOr<absl::string_view> bad = ReadFrame(flipped, &pos);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(Message(bad.status()), HasSubstr("checksum mismatch"));
  // A huge length is refused before anything is read.
  ByteWriter w;
  w.U32(0xfffffff0u);
  w.U32(0);
  pos = 0;
  bad = ReadFrame(w.data(), &pos);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsDataLoss(bad.status()));
}

// Random damage to a payload (bypassing the checksum) never crashes the parser: it either
// fails cleanly or yields a valid record.
TEST(GameRecordTest, ParserSurvivesRandomDamage) {
  std::mt19937 rng(11);
  const std::vector<GameRecord> records = SomeRecords();
  int parsed_ok = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string payload = SerializeGameRecord(records[iter % 4]);
    const int edits = 1 + rng() % 4;
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % payload.size();
      switch (rng() % 4) {
        case 0:
          payload[at] = static_cast<char>(rng());
          break;
        case 1:
          payload.resize(at);
          break;
        case 2:
          payload.insert(at, 1, static_cast<char>(rng()));
          break;
        default:
          payload.erase(at, 1 + rng() % 8);
          break;
      }
      if (payload.empty()) payload = "x";
    }
    absl::StatusOr<GameRecord> rec = ParseGameRecord(payload);
    if (rec.ok()) {
      ++parsed_ok;
      EXPECT_TRUE(ParseGameRecord(SerializeGameRecord(*rec)).ok());
    } else {
      EXPECT_TRUE(absl::IsDataLoss(rec.status())) << rec.status();
    }
  }
  EXPECT_LT(parsed_ok, 20000);
}

// Moves() above, on 7x7 k=4, with the resignation flag.
GameRecord Played(const std::vector<int16_t>& moves, Outcome result, bool resigned) {
  GameRecord rec = Moves(Rules{7, 4, Rule::kFreestyle}, moves, result);
  rec.resigned = resigned;
  return rec;
}

TEST(FinishedGameTest, AResignationRoundTripsAndIsAValidResult) {
  // Three moves: white to move resigns, black (who moved last) wins.
  const GameRecord rec = Played({10, 11, 12}, Outcome::kBlackWin, true);
  EXPECT_TRUE(CheckFinishedGame(rec).ok()) << CheckFinishedGame(rec);
  absl::StatusOr<GameRecord> parsed = ParseGameRecord(SerializeGameRecord(rec));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->resigned);
  EXPECT_EQ(*parsed, rec);
  // Decided on the board: a five, no resignation flag.
  EXPECT_TRUE(CheckFinishedGame(Played({0, 7, 1, 8, 2, 9, 3}, Outcome::kBlackWin, false)).ok());
}

TEST(FinishedGameTest, ResultsThatDoNotFollowFromTheMovesAreRefused) {
  struct Case {
    const char* name;
    GameRecord record;
    const char* detail;
  };
  GameRecord nan_value = Played({10, 11, 12}, Outcome::kBlackWin, true);
  nan_value.moves[1].root_value = std::nanf("");
  GameRecord big_value = Played({10, 11, 12}, Outcome::kBlackWin, true);
  big_value.moves[0].root_value = 1.5f;
  const std::vector<Case> cases = {
      {"win without a five", Played({10, 11, 12}, Outcome::kBlackWin, false), "no five"},
      {"white wins after 0 moves", Played({}, Outcome::kWhiteWin, false), "no five"},
      {"draw after 4 moves", Played({10, 11, 12, 13}, Outcome::kDraw, false), "no five"},
      {"resignation won by the resigner", Played({10, 11, 12}, Outcome::kWhiteWin, true),
       "moved last"},
      {"resigned after a five", Played({0, 7, 1, 8, 2, 9, 3}, Outcome::kBlackWin, true), "decided"},
      {"five for the wrong side", Played({0, 7, 1, 8, 2, 9, 3}, Outcome::kWhiteWin, false),
       "does not match"},
      {"no result", Played({10}, Outcome::kOngoing, false), "no result"},
      {"nan root value", nan_value, "root value"},
      {"root value 1.5", big_value, "root value"},
  };
  for (const Case& c : cases) {
    const absl::Status s = CheckFinishedGame(c.record);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(s.message().find(c.detail), std::string::npos) << c.name << ": " << s;
  }
  // A resignation flag on a decided board does not even parse.
  EXPECT_FALSE(
      ParseGameRecord(SerializeGameRecord(Played({0, 7, 1, 8, 2, 9, 3}, Outcome::kBlackWin, true)))
          .ok());
}

}  // namespace
}  // namespace zf
