#include "tests/cli/run_command.h"

#include <stdlib.h>
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

}  // namespace zf::testing
