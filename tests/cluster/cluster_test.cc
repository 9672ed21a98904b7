// The whole fleet as real processes on loopback: zerofleet-learner, zerofleet-inference-server
// and two zerofleet-actor. End to end (games flow, the learner trains, the model version rises
// and the inference server switches to it) and the faults an operator meets: kill -9 an actor,
// kill -9 and restart the inference server, kill -9 and restart the learner. Nothing acked may
// be lost and nothing counted twice. Every wait is bounded.
#include <signal.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace zf {
namespace {

using testing::BinDir;
using testing::ChildProcess;
using Stream = ChildProcess::Stream;

// A counter or gauge from a /metrics page; -1 when unreachable or absent.
double Metric(int port, const std::string& name) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(2, 0);
  httplib::Result r = client.Get("/metrics");
  if (!r || r->status != 200) return -1;
  for (absl::string_view line : absl::StrSplit(r->body, '\n')) {
    if (!absl::ConsumePrefix(&line, name) || !absl::ConsumePrefix(&line, " ")) continue;
    double value = 0;
    if (absl::SimpleAtod(line, &value)) return value;
  }
  return -1;
}

// Polls `metric` on `port` until it reaches `target` (bounded); the last value seen.
double WaitForMetric(int port, const std::string& metric, double target, absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  double value = -1;
  while (absl::Now() < end) {
    value = Metric(port, metric);
    if (value >= target) return value;
    absl::SleepFor(absl::Milliseconds(250));
  }
  return value;
}

// The number after `key` in the last line of `text` that contains it; -1 if none.
int64_t NumberAfter(const std::string& text, absl::string_view key) {
  const size_t at = text.rfind(std::string(key));
  if (at == std::string::npos) return -1;
  size_t i = at + key.size();
  size_t j = i;
  while (j < text.size() && isdigit(static_cast<unsigned char>(text[j]))) ++j;
  int64_t n = -1;
  return absl::SimpleAtoi(text.substr(i, j - i), &n) ? n : -1;
}

constexpr char kAcked[] = "zerofleet_actor_games_acked_total";

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    learner_port_ = testing::FreeLoopbackPort();
    inference_port_ = testing::FreeLoopbackPort();
    ASSERT_GT(learner_port_, 0);
    ASSERT_GT(inference_port_, 0);
  }

  std::unique_ptr<ChildProcess> StartLearner(int run, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {BinDir() + "/zerofleet-learner",
                                     "--run-dir",
                                     dir_.Path("run"),
                                     "--port",
                                     absl::StrCat(learner_port_),
                                     "--preset",
                                     "cpu",
                                     "--board-size",
                                     "7",
                                     "--win-length",
                                     "4",
                                     "--sims",
                                     "16",
                                     "--parallel-games",
                                     "8",
                                     "--min-positions",
                                     "100",
                                     "--batch-size",
                                     "32",
                                     "--publish-every",
                                     "4",
                                     "--checkpoint-every",
                                     "20",
                                     "--device",
                                     "cpu"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto child = ChildProcess::Start(argv, dir_.Path(absl::StrCat("learner", run, ".log")),
                                     dir_.Path(absl::StrCat("learner", run, ".log")));
    EXPECT_TRUE(child->WaitForOutput(Stream::kStdout, "listening on", absl::Seconds(60)))
        << child->Log();
    return child;
  }
  std::unique_ptr<ChildProcess> StartInference(int run, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {BinDir() + "/zerofleet-inference-server",
                                     "--port",
                                     absl::StrCat(inference_port_),
                                     "--learner",
                                     absl::StrCat("127.0.0.1:", learner_port_),
                                     "--net",
                                     "tiny",
                                     "--device",
                                     "cpu",
                                     "--board-size",
                                     "7",
                                     "--max-queue-delay-us",
                                     "300"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto child = ChildProcess::Start(argv, dir_.Path(absl::StrCat("inference", run, ".log")),
                                     dir_.Path(absl::StrCat("inference", run, ".log")));
    EXPECT_TRUE(child->WaitForOutput(Stream::kStdout, "listening on", absl::Seconds(60)))
        << child->Log();
    return child;
  }
  std::unique_ptr<ChildProcess> StartActor(const std::string& id, int metrics_port,
                                           std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {BinDir() + "/zerofleet-actor",
                                     "--learner",
                                     absl::StrCat("127.0.0.1:", learner_port_),
                                     "--inference",
                                     absl::StrCat("127.0.0.1:", inference_port_),
                                     "--actor-id",
                                     id,
                                     "--metrics-port",
                                     absl::StrCat(metrics_port),
                                     "--threads",
                                     "2",
                                     "--parallel-games",
                                     "8"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto child = ChildProcess::Start(argv, dir_.Path(id + ".log"), dir_.Path(id + ".log"));
    EXPECT_TRUE(child->WaitForOutput(Stream::kStdout, "metrics:", absl::Seconds(60)))
        << child->Log();
    return child;
  }

  testing::ScopedTempDir dir_{"cluster"};
  int learner_port_ = -1;
  int inference_port_ = -1;
};

TEST_F(ClusterTest, TrainsEndToEndAndSurvivesKilledProcesses) {
  const int metrics_a = testing::FreeLoopbackPort();
  const int metrics_b = testing::FreeLoopbackPort();
  auto learner = StartLearner(1);
  auto inference = StartInference(1);
  auto actor_a = StartActor("actor-a", metrics_a);
  auto actor_b = StartActor("actor-b", metrics_b);

  // 1. End to end: games flow, the learner trains and publishes, the inference server serves
  //    the new versions (v0 is the learner's initial model; v2 needs 8 training steps).
  ASSERT_TRUE(inference->WaitForOutput(Stream::kStdout, "model v2 loaded", absl::Seconds(150)))
      << inference->Log() << learner->Log();
  ASSERT_GE(WaitForMetric(metrics_a, kAcked, 1, absl::Seconds(30)), 1) << actor_a->Log();

  // 2. kill -9 one actor: the other keeps playing and being acked.
  const double acked_a = Metric(metrics_a, kAcked);
  ASSERT_EQ(kill(actor_a->pid(), SIGKILL), 0);
  EXPECT_EQ(actor_a->WaitExit(absl::Seconds(10)), 128 + SIGKILL);
  double acked_b = Metric(metrics_b, kAcked);
  EXPECT_GE(WaitForMetric(metrics_b, kAcked, acked_b + 3, absl::Seconds(60)), acked_b + 3)
      << actor_b->Log();

  // 3. kill -9 the inference server and restart it: the actor waits, reconnects, goes on.
  ASSERT_EQ(kill(inference->pid(), SIGKILL), 0);
  EXPECT_EQ(inference->WaitExit(absl::Seconds(10)), 128 + SIGKILL);
  ASSERT_TRUE(actor_b->WaitForOutput(Stream::kStdout, "inference unavailable", absl::Seconds(30)))
      << actor_b->Log();
  inference = StartInference(2);
  // It follows the learner again (the newest version, whatever its number).
  EXPECT_TRUE(inference->WaitForOutput(Stream::kStdout, "loaded (sha256", absl::Seconds(30)))
      << inference->Log();
  acked_b = Metric(metrics_b, kAcked);
  EXPECT_GE(WaitForMetric(metrics_b, kAcked, acked_b + 3, absl::Seconds(90)), acked_b + 3)
      << actor_b->Log();

  // 4. kill -9 the learner and restart it: it resumes from its checkpoint plus its game store;
  //    the actor re-sends what was not acked.
  ASSERT_EQ(kill(learner->pid(), SIGKILL), 0);
  EXPECT_EQ(learner->WaitExit(absl::Seconds(10)), 128 + SIGKILL);
  absl::SleepFor(absl::Seconds(1));
  learner = StartLearner(2);
  EXPECT_TRUE(learner->WaitForOutput(Stream::kStdout, "game store:", absl::Seconds(30)))
      << learner->Log();
  acked_b = Metric(metrics_b, kAcked);
  EXPECT_GE(WaitForMetric(metrics_b, kAcked, acked_b + 3, absl::Seconds(90)), acked_b + 3)
      << actor_b->Log();

  // 5. Clean stops: the actor sends its finished games, the learner checkpoints.
  EXPECT_EQ(actor_b->Stop(absl::Seconds(60)), 0) << actor_b->Log();
  const std::string actor_log = actor_b->Log();
  const int64_t final_acked_b = NumberAfter(actor_log, "games finished, ");
  ASSERT_GE(final_acked_b, acked_b) << actor_log;
  EXPECT_EQ(learner->Stop(absl::Seconds(60)), 0) << learner->Log();
  EXPECT_EQ(inference->Stop(absl::Seconds(30)), 0) << inference->Log();

  // Nothing acked lost, nothing counted twice: every acked game is stored, and the buffer
  // counted each stored game exactly once.
  const std::string learner_log = learner->Log();
  const int64_t stored = NumberAfter(learner_log, "games stored ");
  const int64_t counted = NumberAfter(learner_log, ", counted ");
  ASSERT_GT(stored, 0) << learner_log;
  EXPECT_GE(stored, static_cast<int64_t>(acked_a) + final_acked_b) << learner_log;
  EXPECT_EQ(counted, stored) << learner_log;
}

TEST_F(ClusterTest, LearnerAndInferenceServerRefuseCallsWithoutTheToken) {
  const std::string token = dir_.Path("token");
  const std::string wrong = dir_.Path("wrong-token");
  { std::ofstream(token) << "s3cret-token\n"; }
  { std::ofstream(wrong) << "not-the-token\n"; }
  auto learner = StartLearner(1, {"--token-file", token});
  auto inference = StartInference(1, {"--token-file", token});
  // The inference server presents the token to the learner: it gets the learner's model.
  EXPECT_TRUE(inference->WaitForOutput(Stream::kStdout, "model v0 loaded", absl::Seconds(60)))
      << inference->Log();

  // An actor with the wrong token is refused (not retried forever) and says why.
  auto intruder = StartActor("intruder", testing::FreeLoopbackPort(), {"--token-file", wrong});
  EXPECT_EQ(intruder->WaitExit(absl::Seconds(60)), 2) << intruder->Log();
  EXPECT_NE(intruder->Log().find("UNAUTHENTICATED"), std::string::npos) << intruder->Log();
  EXPECT_TRUE(learner->WaitForOutput(Stream::kStderr, "refused", absl::Seconds(10)))
      << learner->Log();

  // With the token, games flow.
  const int metrics = testing::FreeLoopbackPort();
  auto actor = StartActor("member", metrics, {"--token-file", token});
  EXPECT_GE(WaitForMetric(metrics, kAcked, 2, absl::Seconds(120)), 2) << actor->Log();
  EXPECT_EQ(actor->Stop(absl::Seconds(60)), 0) << actor->Log();
}

}  // namespace
}  // namespace zf
