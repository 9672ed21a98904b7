// The zerofleet-inference-server binary as a real process on a port it picks: flags, the
// "listening on" line, a Python client built from the .proto files alone, clean SIGTERM.
// Every wait is bounded and the process is killed if a check fails.
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/remote_evaluator.h"
#include "gtest/gtest.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace zf {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : fallback;
}

using ::zf::testing::ChildProcess;

std::string ServerBinary() { return testing::BinDir() + "/zerofleet-inference-server"; }

// Starts `argv` with its output in `dir` (null if fork failed).
std::unique_ptr<ChildProcess> StartServer(const std::vector<std::string>& argv,
                                          const testing::ScopedTempDir& dir) {
  return ChildProcess::Start(argv, dir.Path("out"), dir.Path("err"));
}

TEST(InferenceServerProcessTest, PythonClientFromTheProtoFilesAlone) {
  const testing::ScopedTempDir dir("zf_inference_server_");
  ASSERT_FALSE(dir.path().empty());
  std::unique_ptr<ChildProcess> server =
      StartServer({ServerBinary(), "--null-model", "--port=0", "--board-size=15", "--max-batch=64",
                   "--max-queue-delay-us=200"},
                  dir);
  ASSERT_NE(server, nullptr);
  const int port = ReadListeningPort(*server, absl::Seconds(60));
  ASSERT_GT(port, 0) << server->Log();
  const std::string source = EnvOr("ZF_SOURCE_DIR", ".");
  const std::string cmd =
      absl::StrCat("timeout -k 5 60 /usr/bin/python3 ", source, "/tests/rpc/python_client.py ",
                   ZF_PROTOC, " ", source, "/proto ", port, " 2>&1");
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (fgets(buf, sizeof(buf), pipe) != nullptr) output += buf;
  const int status = pclose(pipe);
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0) << output;
  EXPECT_NE(output.find("OK"), std::string::npos) << output;
  EXPECT_EQ(server->Stop(absl::Seconds(10)), 0);
}

TEST(InferenceServerProcessTest, ServesATorchModelAndStopsCleanly) {
  const testing::ScopedTempDir dir("zf_inference_server_");
  ASSERT_FALSE(dir.path().empty());
  std::unique_ptr<ChildProcess> server =
      StartServer({ServerBinary(), "--net=tiny", "--device=cpu", "--port=0"}, dir);
  ASSERT_NE(server, nullptr);
  const int port = ReadListeningPort(*server, absl::Seconds(60));
  ASSERT_GT(port, 0) << server->Log();
  RemoteEvaluatorOptions o;
  o.target = absl::StrCat("127.0.0.1:", port);
  auto remote = *RemoteEvaluator::Create(o);
  GameState state(Rules{9, 5, Rule::kFreestyle});
  state.PlayUnchecked(40);
  std::vector<EncodedPosition> one = {Encode(state)};
  std::vector<float> policy(81), value(1);
  ASSERT_TRUE(remote->Evaluate(one, absl::MakeSpan(policy), absl::MakeSpan(value)).ok());
  EXPECT_EQ(policy[40], 0.0f);
  float sum = 0;
  for (float p : policy) sum += p;
  EXPECT_NEAR(sum, 1.0f, 1e-2);
  EXPECT_GT(value[0], -1.0f);
  EXPECT_LT(value[0], 1.0f);
  EXPECT_EQ(server->Stop(absl::Seconds(10)), 0);
}

TEST(InferenceServerProcessTest, BadFlagsGiveAOneLineError) {
  const testing::CommandResult r =
      testing::RunBinary("zerofleet-inference-server", "--null-model --max-batch=0", "", 60);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("zerofleet-inference-server: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("max batch"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(InferenceServerProcessTest, BenchTransportReportsLeavesAndBytesPerLeaf) {
  const testing::CommandResult r =
      testing::RunBinary("zerofleet", "bench transport --json --seconds 0.2", "", 120);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("{\"bench\":\"transport\"", 0), 0u) << r.out;
  // 15x15: 61 bytes per packed leaf plus a share of the request header; 450 + 4 back.
  EXPECT_NE(r.out.find("\"request_bytes_per_leaf\":61."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"response_bytes_per_leaf\":454."), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\"leaves_per_sec\":0,"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace zf
