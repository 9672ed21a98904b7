// The zerofleet-learner binary as a real process on a port it picks, called by a Python client
// built from the .proto files alone (tests/learner/python_learner_client.py): every LearnerService
// RPC, bad requests on a stream that stays usable, the health check, then a clean SIGTERM.
// Every wait is bounded and the process is killed if a check fails.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace zf {
namespace {

using ::zf::testing::ChildProcess;

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : fallback;
}

// Runs `cmd` through the shell (stderr into stdout); sets *exit_code (-1: no normal exit).
std::string RunShell(const std::string& cmd, int* exit_code) {
  std::string output;
  FILE* pipe = popen(absl::StrCat(cmd, " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    *exit_code = -1;
    return "popen failed";
  }
  char buf[512];
  while (fgets(buf, sizeof(buf), pipe) != nullptr) output += buf;
  const int status = pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

TEST(LearnerProcessTest, PythonClientCallsEveryRpcFromTheProtoFilesAlone) {
  const testing::ScopedTempDir dir("zf_learner_process_");
  ASSERT_FALSE(dir.path().empty());
  // Games of the learner's rules, as an actor would play them.
  const std::string games = dir.Path("games.zfgr");
  const testing::CommandResult selfplay = testing::RunBinary(
      "zerofleet",
      absl::StrCat("selfplay --board-size 7 --win-length 4 --games 3 --sims 16 --out ", games), "",
      120);
  ASSERT_EQ(selfplay.exit_code, 0) << selfplay.out << selfplay.err;

  std::unique_ptr<ChildProcess> learner =
      ChildProcess::Start({testing::BinDir() + "/zerofleet-learner", "--run-dir", dir.Path("run"),
                           "--port", "0", "--board-size", "7", "--win-length", "4", "--preset",
                           "cpu", "--sims", "16", "--device", "cpu"},
                          dir.Path("out"), dir.Path("err"));
  ASSERT_NE(learner, nullptr);
  const int port = ReadListeningPort(*learner);
  ASSERT_GT(port, 0) << learner->Log();

  const std::string source = EnvOr("ZF_SOURCE_DIR", ".");
  int exit_code = -1;
  const std::string output =
      RunShell(absl::StrCat("timeout -k 5 60 /usr/bin/python3 ", source,
                            "/tests/learner/python_learner_client.py ", ZF_PROTOC, " ", source,
                            "/proto ", port, " ", games),
               &exit_code);
  EXPECT_EQ(exit_code, 0) << output << "\nlearner:\n" << learner->Log();
  EXPECT_NE(output.find("OK\n"), std::string::npos) << output;

  // SIGTERM: stop taking games, checkpoint, exit 0.
  EXPECT_EQ(learner->Stop(absl::Seconds(30)), 0) << learner->Log();
}

}  // namespace
}  // namespace zf
