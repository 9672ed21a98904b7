#include "tests/testing/promtool.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <fstream>

namespace zf::testing {

PromtoolResult CheckMetrics(const std::string& text, const std::string& dir) {
  const std::string path = dir + "/metrics.txt";
  std::ofstream(path) << text;
  PromtoolResult result;
  const std::string command = std::string(kPromtool) + " check metrics < '" + path + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace zf::testing
