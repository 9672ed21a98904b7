// The zerofleet-inference-server binary as a real process on a port it picks: flags, the
// "listening on" line, a Python client built from the .proto files alone, clean SIGTERM.
// Every wait is bounded and the process is killed if a check fails.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/remote_evaluator.h"
#include "gtest/gtest.h"

namespace zf {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : fallback;
}

// A child process with its stdout on a pipe. Killed on destruction if still running.
class Process {
 public:
  explicit Process(std::vector<std::string> argv) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> args;
      for (std::string& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fds[0];
  }
  ~Process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
  }

  // The next stdout line, waiting at most `timeout`; "" on timeout or EOF.
  std::string ReadLine(absl::Duration timeout) {
    const absl::Time end = absl::Now() + timeout;
    while (true) {
      const size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const int64_t ms = absl::ToInt64Milliseconds(end - absl::Now());
      if (ms <= 0) return "";
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(ms)) <= 0) return "";
      char chunk[256];
      const ssize_t n = read(out_, chunk, sizeof(chunk));
      if (n <= 0) return "";
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  // Sends `sig` and waits at most `timeout` for the exit code (-1 if it had to be killed).
  int Stop(int sig, absl::Duration timeout) {
    kill(pid_, sig);
    const absl::Time end = absl::Now() + timeout;
    int status = 0;
    while (absl::Now() < end) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    return -1;  // the destructor kills it
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
};

std::string ServerBinary() {
  return EnvOr("ZF_BIN_DIR", "build/bin") + "/zerofleet-inference-server";
}

// Starts the server and returns its port from "listening on 127.0.0.1:PORT (...)" (0 if none).
int StartAndReadPort(Process& p) {
  const std::string line = p.ReadLine(absl::Seconds(60));
  const std::string prefix = "listening on 127.0.0.1:";
  if (line.rfind(prefix, 0) != 0) {
    ADD_FAILURE() << "unexpected first line: '" << line << "'";
    return 0;
  }
  const std::string rest = line.substr(prefix.size());
  int port = 0;
  EXPECT_TRUE(absl::SimpleAtoi(rest.substr(0, rest.find(' ')), &port)) << line;
  return port;
}

TEST(InferenceServerProcessTest, PythonClientFromTheProtoFilesAlone) {
  Process server({ServerBinary(), "--null-model", "--port=0", "--board-size=15", "--max-batch=64",
                  "--max-queue-delay-us=200"});
  const int port = StartAndReadPort(server);
  ASSERT_GT(port, 0);
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
  EXPECT_EQ(server.Stop(SIGTERM, absl::Seconds(10)), 0);
}

TEST(InferenceServerProcessTest, ServesATorchModelAndStopsCleanly) {
  Process server({ServerBinary(), "--net=tiny", "--device=cpu", "--port=0"});
  const int port = StartAndReadPort(server);
  ASSERT_GT(port, 0);
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
  EXPECT_EQ(server.Stop(SIGTERM, absl::Seconds(10)), 0);
}

TEST(InferenceServerProcessTest, BadFlagsGiveAOneLineError) {
  const std::string cmd =
      absl::StrCat("timeout -k 5 60 ", ServerBinary(), " --null-model --max-batch=0 2>&1");
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (fgets(buf, sizeof(buf), pipe) != nullptr) output += buf;
  const int status = pclose(pipe);
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 2) << output;
  EXPECT_EQ(output.rfind("zerofleet-inference-server: error: ", 0), 0u) << output;
  EXPECT_NE(output.find("max batch"), std::string::npos) << output;
  EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
}

TEST(InferenceServerProcessTest, BenchTransportReportsLeavesAndBytesPerLeaf) {
  const std::string cmd =
      absl::StrCat("timeout -k 5 120 ", EnvOr("ZF_BIN_DIR", "build/bin"),
                   "/zerofleet bench transport --json --seconds 0.2 2>/dev/null");
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (fgets(buf, sizeof(buf), pipe) != nullptr) output += buf;
  const int status = pclose(pipe);
  ASSERT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0) << output;
  EXPECT_EQ(output.rfind("{\"bench\":\"transport\"", 0), 0u) << output;
  // 15x15: 61 bytes per packed leaf plus a share of the request header; 450 + 4 back.
  EXPECT_NE(output.find("\"request_bytes_per_leaf\":61."), std::string::npos) << output;
  EXPECT_NE(output.find("\"response_bytes_per_leaf\":454."), std::string::npos) << output;
  EXPECT_EQ(output.find("\"leaves_per_sec\":0,"), std::string::npos) << output;
}

}  // namespace
}  // namespace zf
