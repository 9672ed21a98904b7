#include "tests/cli/run_command.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace zf::testing {
namespace {
std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

std::string BinDir() {
  const char* dir = std::getenv("ZF_BIN_DIR");
  return dir != nullptr ? dir : "build/bin";
}

std::string TempDir() {
  char tmpl[] = "/tmp/zf_test_XXXXXX";
  const char* dir = mkdtemp(tmpl);
  return dir != nullptr ? dir : "/tmp";
}

CommandResult RunBinary(const std::string& binary, const std::string& args,
                        const std::string& input, int timeout_s) {
  const std::string dir = TempDir();
  std::string stdin_path = "/dev/null";
  if (!input.empty()) {
    stdin_path = dir + "/in";
    std::ofstream(stdin_path) << input;
  }
  const std::string cmd =
      absl::StrCat("timeout -k 5 ", timeout_s, " ", BinDir(), "/", binary, " ", args, " <",
                   stdin_path, " >", dir, "/out 2>", dir, "/err");
  const int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = Slurp(dir + "/out");
  r.err = Slurp(dir + "/err");
  std::system(absl::StrCat("rm -rf ", dir).c_str());
  return r;
}

SpawnedProcess::SpawnedProcess(const std::string& binary, const std::vector<std::string>& args,
                               const std::string& out_path, const std::string& err_path) {
  const std::string path = BinDir() + "/" + binary;
  std::vector<std::string> argv_storage = {path};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
}

SpawnedProcess::~SpawnedProcess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool SpawnedProcess::WaitForOutput(const std::string& path, const std::string& text,
                                   int timeout_s) {
  for (int i = 0; i < timeout_s * 10; ++i) {
    if (Slurp(path).find(text) != std::string::npos) return true;
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      return false;
    }
    usleep(100 * 1000);
  }
  return false;
}

int SpawnedProcess::WaitExit(int timeout_s) {
  for (int i = 0; i < timeout_s * 10; ++i) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
    }
    usleep(100 * 1000);
  }
  return -2;
}

}  // namespace zf::testing
