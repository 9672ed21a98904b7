#include "tests/testing/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "absl/base/const_init.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "tests/testing/temp_dir.h"

namespace zf::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr absl::Duration kPoll = absl::Milliseconds(20);

// Binds a socket to 127.0.0.1:`port` (0: the kernel picks), closes it and returns the port
// it had; -1 if the bind failed.
int TryBindLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  int bound = -1;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    bound = ntohs(addr.sin_port);
  }
  close(fd);
  return bound;
}

// Lowest port of the kernel's ephemeral range (outgoing connections take their local port
// from it); 32768 if unreadable.
int EphemeralLow() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  return in >> low && low > 0 ? low : 32768;
}

}  // namespace

int64_t ProcStatusValue(pid_t pid, absl::string_view field) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    int64_t value = 0;
    if (absl::ConsumePrefix(&rest, field) && absl::ConsumePrefix(&rest, ":") &&
        absl::SimpleAtoi(absl::StripSuffix(absl::StripAsciiWhitespace(rest), " kB"), &value)) {
      return value;
    }
  }
  return -1;
}

std::string BinDir() {
  const char* dir = std::getenv("ZF_BIN_DIR");
  return dir != nullptr ? dir : "build/bin";
}

int FreeLoopbackPort() {
  // A port from bind(0) lies in the ephemeral range, where any process's next outgoing
  // connection may take it before our server binds it (seen in CI: "address in use"). So
  // pick at random below that range, where only listeners live.
  static absl::Mutex mu(absl::kConstInit);
  static std::mt19937* rng = new std::mt19937(std::random_device{}() ^ getpid());
  static std::set<int>* given = new std::set<int>();  // never hand out one port twice
  const int high = EphemeralLow() - 1;
  const int low = 10000;
  if (high - low >= 1000) {
    absl::MutexLock l(&mu);
    std::uniform_int_distribution<int> pick(low, high);
    for (int attempt = 0; attempt < 200; ++attempt) {
      const int port = pick(*rng);
      if (!given->count(port) && TryBindLoopback(port) == port) {
        given->insert(port);
        return port;
      }
    }
  }
  return TryBindLoopback(0);  // fallback: whatever the kernel picks
}

CommandResult RunBinary(const std::string& binary, const std::string& args,
                        const std::string& input, int timeout_s) {
  const ScopedTempDir dir("zf_run_");
  std::string stdin_path = "/dev/null";
  if (!input.empty()) {
    stdin_path = dir.Path("in");
    std::ofstream(stdin_path) << input;
  }
  const std::string cmd =
      absl::StrCat("timeout -k 5 ", timeout_s, " ", BinDir(), "/", binary, " ", args, " <",
                   stdin_path, " >", dir.Path("out"), " 2>", dir.Path("err"));
  const int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = Slurp(dir.Path("out"));
  r.err = Slurp(dir.Path("err"));
  return r;
}

std::unique_ptr<ChildProcess> ChildProcess::Start(const std::vector<std::string>& argv,
                                                  const std::string& out_path,
                                                  const std::string& err_path) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return nullptr;
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err =
        err_path == out_path ? out : open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = open("/dev/null", O_RDONLY);
    if (in >= 0) dup2(in, 0);
    if (out >= 0) dup2(out, 1);
    if (err >= 0) dup2(err, 2);
    // The test may block signals in its threads; the child starts with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, out_path, err_path));
}

ChildProcess::~ChildProcess() { Stop(absl::Seconds(5)); }

bool ChildProcess::Running() {
  if (exited_) return false;
  if (waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
  return !exited_;
}

int ChildProcess::ExitCode() const {
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  return WIFSIGNALED(status_) ? 128 + WTERMSIG(status_) : -1;
}

bool ChildProcess::WaitForOutput(Stream stream, absl::string_view text, absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  while (true) {
    if (absl::StrContains(Output(stream), text)) return true;
    if (!Running() || absl::Now() >= end) return false;
    absl::SleepFor(kPoll);
  }
}

int ChildProcess::WaitExit(absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  while (Running()) {
    if (absl::Now() >= end) return -2;
    absl::SleepFor(kPoll);
  }
  return ExitCode();
}

int ChildProcess::Stop(absl::Duration grace) {
  if (!Running()) return ExitCode();
  kill(pid_, SIGTERM);
  const int code = WaitExit(grace);
  if (code != -2) return code;
  kill(pid_, SIGKILL);
  waitpid(pid_, &status_, 0);
  exited_ = true;
  return ExitCode();
}

std::string ChildProcess::Output(Stream stream) const {
  return Slurp(stream == Stream::kStdout ? out_path_ : err_path_);
}

std::string ChildProcess::Log() const {
  std::string log = Slurp(out_path_);
  if (err_path_ != out_path_) log += Slurp(err_path_);
  return log;
}

int ReadListeningPort(ChildProcess& p, absl::Duration timeout) {
  if (!p.WaitForOutput(ChildProcess::Stream::kStdout, "\n", timeout)) return 0;
  const std::string out = p.Output(ChildProcess::Stream::kStdout);
  const std::string line = out.substr(0, out.find('\n'));
  const std::string prefix = "listening on 127.0.0.1:";
  if (line.rfind(prefix, 0) != 0) return 0;
  const std::string rest = line.substr(prefix.size());
  int port = 0;
  return absl::SimpleAtoi(rest.substr(0, rest.find(' ')), &port) ? port : 0;
}

}  // namespace zf::testing
