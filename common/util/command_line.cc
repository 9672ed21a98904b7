#include "common/util/command_line.h"

#include <algorithm>

#include "absl/flags/parse.h"

namespace zf {

std::string NormaliseFlagName(const std::string& arg) {
  std::string s = arg;
  if (s.size() < 3 || s[0] != '-' || s[1] != '-') return s;
  const size_t end = std::min(s.find('='), s.size());
  for (size_t i = 2; i < end; ++i) {
    if (s[i] == '-') s[i] = '_';
  }
  return s;
}

std::vector<std::string> ParseCommandLineAcceptingDashes(int argc, char** argv) {
  std::vector<std::string> normalised;
  for (int i = 0; i < argc; ++i) normalised.push_back(NormaliseFlagName(argv[i]));
  std::vector<char*> args;
  for (std::string& a : normalised) args.push_back(a.data());
  const std::vector<char*> rest =
      absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  return std::vector<std::string>(rest.begin(), rest.end());
}

}  // namespace zf
