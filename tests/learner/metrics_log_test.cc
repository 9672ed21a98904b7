#include "learner/metrics_log.h"

#include <cmath>

#include "absl/strings/str_split.h"
#include "common/util/file_io.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace zf {
namespace {

std::vector<std::string> Lines(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  EXPECT_TRUE(text.ok());
  return absl::StrSplit(*text, '\n', absl::SkipEmpty());
}

TEST(JsonLineTest, FormatsValues) {
  JsonLine line;
  line.Int("step", 12).Double("loss", 0.25).Double("bad", std::nan("")).String("s", "a\"b\\c\n");
  line.Bool("ok", true);
  EXPECT_EQ(line.ToString(), R"({"step":12,"loss":0.25,"bad":null,"s":"a\"b\\c\n","ok":true})");
}

TEST(MetricsLogTest, AppendsOneObjectPerLineAcrossReopens) {
  const ::zf::testing::ScopedTempDir temp_dir("zf_metrics_");
  ASSERT_FALSE(temp_dir.path().empty());
  const std::string run = temp_dir.Path("run");
  {
    auto log = MetricsLog::Open(run, MetricsLogOptions{2, absl::Seconds(30)});
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_EQ((*log)->path(), run + "/metrics.jsonl");
    LearnerMetricsRow m;
    m.step = 1;
    m.stats.policy_loss = 3.5;
    m.stats.value_loss = 0.75;
    m.stats.lr = 0.02;
    m.buffer_size = 1000;
    m.games = 10;
    m.model_version = 2;
    ASSERT_TRUE((*log)->Append(ToJson(m)).ok());
    m.step = 2;
    ASSERT_TRUE((*log)->Append(ToJson(m)).ok());
  }
  {
    auto log = MetricsLog::Open(run);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Append(JsonLine().Int("step", 3)).ok());
    ASSERT_TRUE((*log)->Sync().ok());
  }
  const std::vector<std::string> lines = Lines(run + "/metrics.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("{\"step\":1,\"time\":", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("\"policy_loss\":3.5,\"value_loss\":0.75"), std::string::npos);
  EXPECT_NE(lines[0].find("\"buffer_size\":1000"), std::string::npos);
  EXPECT_NE(lines[1].find("\"step\":2"), std::string::npos);
  EXPECT_EQ(lines[2], "{\"step\":3}");
}

TEST(MetricsLogTest, APartialLineFromACrashIsEnded) {
  const ::zf::testing::ScopedTempDir temp_dir("zf_metrics_");
  ASSERT_FALSE(temp_dir.path().empty());
  const std::string run = temp_dir.path();
  ASSERT_TRUE(WriteFileAtomically(run + "/metrics.jsonl", "{\"step\":1}\n{\"step\":2,\"lo").ok());
  auto log = MetricsLog::Open(run);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Append(JsonLine().Int("step", 3)).ok());
  const std::vector<std::string> lines = Lines(run + "/metrics.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2], "{\"step\":3}");
}

}  // namespace
}  // namespace zf
