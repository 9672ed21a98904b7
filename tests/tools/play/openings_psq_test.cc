#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "common/game/notation.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"
#include "tools/play/openings.h"
#include "tools/play/player_spec.h"
#include "tools/play/psq.h"

namespace zf::play {
namespace {

TEST(OpeningsTest, BuiltinSetIsTheTwentySixCanonicalOpenings) {
  const std::vector<Opening> openings = BuiltinOpenings();
  ASSERT_EQ(openings.size(), 26u);
  std::set<std::vector<std::pair<int, int>>> distinct;
  for (const Opening& o : openings) {
    ASSERT_EQ(o.offsets.size(), 3u);
    EXPECT_EQ(o.offsets[0], std::make_pair(0, 0));
    distinct.insert(o.offsets);
    // Every stone within the central 5x5.
    for (auto [dx, dy] : o.offsets) {
      EXPECT_LE(std::abs(dx), 2);
      EXPECT_LE(std::abs(dy), 2);
    }
  }
  EXPECT_EQ(distinct.size(), 26u);
  // 13 direct (white adjacent) and 13 indirect (white diagonal).
  int direct = 0;
  for (const Opening& o : openings) direct += o.offsets[1] == std::make_pair(0, -1);
  EXPECT_EQ(direct, 13);
}

TEST(OpeningsTest, ParsesPiskvorkOffsets) {
  absl::StatusOr<std::vector<Opening>> parsed =
      ParseOpenings("# comment\n-1,0, 0,1, 1,-1\n\n  0,0,1,1\r\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].offsets, (std::vector<std::pair<int, int>>{{-1, 0}, {0, 1}, {1, -1}}));
  EXPECT_EQ(FormatOpening((*parsed)[0]), "-1,0, 0,1, 1,-1");
  absl::StatusOr<std::vector<int16_t>> moves =
      OpeningMoves((*parsed)[0], Rules{15, 5, Rule::kFreestyle});
  ASSERT_TRUE(moves.ok());
  // Centre (7,7): black g8 (6,7), white h9 (7,8), black i7 (8,6).
  EXPECT_EQ(FormatMoveList(*moves, 15), "g8 h9 i7");
}

TEST(OpeningsTest, RejectsBadLinesAndPositions) {
  auto line_error = [](const char* text) {
    return std::string(ParseOpenings(text).status().message());
  };
  EXPECT_NE(line_error("0,0\n1,x\n").find("line 2"), std::string::npos);
  EXPECT_NE(line_error("0,0, 1\n").find("pairs"), std::string::npos);
  EXPECT_FALSE(ParseOpenings("# only comments\n").ok());
  const Rules small{5, 3, Rule::kFreestyle};
  EXPECT_FALSE(OpeningMoves(Opening{{{0, 0}, {3, 0}}}, small).ok());  // off board
  EXPECT_FALSE(OpeningMoves(Opening{{{0, 0}, {0, 0}}}, small).ok());  // twice
  EXPECT_FALSE(OpeningMoves(Opening{{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 0}}}, small).ok());  // won
  // Openings that do not fit are dropped; none fitting leaves the empty opening.
  EXPECT_EQ(OpeningsForRules({Opening{{{0, 0}, {3, 0}}}}, small),
            (std::vector<std::vector<int16_t>>{{}}));
}

TEST(PsqTest, RoundTrips) {
  PsqGame game;
  game.size = 15;
  game.moves = {7 * 15 + 7, 8 * 15 + 8, 0, 224};
  game.times_ms = {10, 250, 0, 3};
  game.black_name = "zerofleet";
  game.white_name = "random";
  const std::string text = FormatPsq(game);
  EXPECT_EQ(text.substr(0, text.find('\n')), "Piskvorky 15x15, 11:11, 0");
  EXPECT_NE(text.find("\n8,8,10\n9,9,250\n1,1,0\n15,15,3\nzerofleet\nrandom\n-1\n"),
            std::string::npos);
  absl::StatusOr<PsqGame> back = ParsePsq(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->size, 15);
  EXPECT_EQ(back->moves, game.moves);
  EXPECT_EQ(back->times_ms, game.times_ms);
  EXPECT_EQ(back->black_name, "zerofleet");
  EXPECT_EQ(back->white_name, "random");
}

TEST(PsqTest, RejectsBrokenFiles) {
  EXPECT_FALSE(ParsePsq("").ok());
  EXPECT_FALSE(ParsePsq("Gomoku\n").ok());
  EXPECT_FALSE(ParsePsq("Piskvorky 15x20, 1:1, 0\n").ok());
  EXPECT_FALSE(ParsePsq("Piskvorky 15x15, 1:1, 0\n16,1,0\n").ok());
  EXPECT_FALSE(ParsePsq("Piskvorky 15x15, 1:1, 0\n1,1,0\n1,1,0\n").ok());
  // CRLF files from Windows parse too.
  absl::StatusOr<PsqGame> crlf = ParsePsq("Piskvorky 20x20, 11:11, 0\r\n10,10,0\r\n-1\r\n");
  ASSERT_TRUE(crlf.ok()) << crlf.status();
  EXPECT_EQ(crlf->size, 20);
  EXPECT_EQ(crlf->moves, (std::vector<int16_t>{9 * 20 + 9}));
}

TEST(PlayerSpecTest, Parses) {
  EXPECT_EQ(ParsePlayerSpec("uniform")->kind, SpecKind::kUniform);
  EXPECT_EQ(ParsePlayerSpec("random")->kind, SpecKind::kRandom);
  absl::StatusOr<PlayerSpec> seeded = ParsePlayerSpec("seeded:42");
  ASSERT_TRUE(seeded.ok());
  EXPECT_EQ(seeded->kind, SpecKind::kSeeded);
  EXPECT_EQ(seeded->seed, 42u);
  EXPECT_FALSE(ParsePlayerSpec("seeded:x").ok());
  EXPECT_FALSE(ParsePlayerSpec("").ok());
  absl::StatusOr<PlayerSpec> file = ParsePlayerSpec("runs/a/model.zfm");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->kind, SpecKind::kModelFile);
  EXPECT_EQ(file->name, "model.zfm");
  EXPECT_FALSE(MakeBuiltinEvaluator(*file).ok());
  EXPECT_TRUE(MakeBuiltinEvaluator(*seeded).ok());
}

TEST(PlayerSpecTest, FindsTheModel) {
  EXPECT_EQ(FindModelPath({"a.model", "b.model", "/tmp"}), "a.model");
  EXPECT_EQ(FindModelPath({"", "b.model", "/tmp"}), "b.model");
  EXPECT_EQ(FindModelPath({"", "", "/nonexistent-dir"}), "");
  const ::zf::testing::ScopedTempDir temp_dir("zf_model_");
  ASSERT_FALSE(temp_dir.path().empty());
  const std::string& dir = temp_dir.path();
  EXPECT_EQ(FindModelPath({"", "", dir}), "");
  FILE* f = std::fopen((dir + "/zerofleet.model").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  EXPECT_EQ(FindModelPath({"", "", dir}), dir + "/zerofleet.model");
  EXPECT_FALSE(ExecutableDir().empty());
}

}  // namespace
}  // namespace zf::play
