#include "tools/play/rating_log.h"

#include <cmath>
#include <fstream>
#include <limits>

#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace zf::play {
namespace {

TEST(RatingLogTest, AppendsSurviveReopening) {
  zf::testing::ScopedTempDir dir("rating_log");
  {
    auto log = RatingLog::Open(dir.path(), nullptr);
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_TRUE((*log)->AppendMatch({1.5, "v1", "uniform@400", 3, 1, 2}).ok());
    RatedVersion v;
    v.version = 1;
    v.step = 20;
    v.games = 300;
    v.minutes = 2.5;
    v.elo = 12.5;
    v.elo_low = -std::numeric_limits<double>::infinity();
    v.elo_high = 80;
    v.rating_games = 6;
    v.time = 2.5;
    ASSERT_TRUE((*log)->AppendVersion(v).ok());
  }
  auto log = RatingLog::Open(dir.path(), nullptr);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ((*log)->matches().size(), 1u);
  EXPECT_EQ((*log)->matches()[0].a, "v1");
  EXPECT_EQ((*log)->matches()[0].losses, 2);
  ASSERT_EQ((*log)->versions().size(), 1u);
  const RatedVersion& v = (*log)->versions()[0];
  EXPECT_EQ(v.version, 1);
  EXPECT_EQ(v.elo, 12.5);
  EXPECT_TRUE(std::isinf(v.elo_low) && v.elo_low < 0);
  EXPECT_EQ((*log)->PairResults()[0].wins, 3);
  EXPECT_EQ((*log)->ModelPath(7), dir.path() + "/ratings/v7.zfm");
}

TEST(RatingLogTest, CorruptLinesAreReportedByNameAndSkipped) {
  zf::testing::ScopedTempDir dir("rating_log");
  {
    auto log = RatingLog::Open(dir.path(), nullptr);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->AppendMatch({1, "a", "b", 1, 0, 0}).ok());
  }
  {
    std::ofstream out(dir.path() + "/ratings/games.jsonl", std::ios::app);
    out << "{\"time\": 2, \"a\": \"a\", \"b\"\n";                                         // torn
    out << "{\"time\":3,\"a\":\"a\",\"b\":\"a\",\"wins\":1,\"draws\":0,\"losses\":0}\n";  // itself
    out << "{\"time\":4,\"a\":\"c\",\"b\":\"d\",\"wins\":0,\"draws\":2,\"losses\":0}\n";
    std::ofstream bad(dir.path() + "/ratings.jsonl");
    bad << "not json\n";
  }
  std::vector<std::string> warnings;
  auto log = RatingLog::Open(dir.path(), [&](const std::string& w) { warnings.push_back(w); });
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ((*log)->matches().size(), 2u);
  EXPECT_TRUE((*log)->versions().empty());
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_NE(warnings[0].find("games.jsonl line 2"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("games.jsonl line 3"), std::string::npos) << warnings[1];
  EXPECT_NE(warnings[2].find("ratings.jsonl line 1"), std::string::npos) << warnings[2];
}

}  // namespace
}  // namespace zf::play
