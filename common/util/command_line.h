// Command-line helpers shared by every binary. Implemented in command_line.cc. Thread-safe.
//
// Flags are declared with underscores (absl style) but users may type dashes:
// --max-batch=8 and --max_batch=8 are the same flag. Only the name is rewritten, never the value.
#ifndef ZEROFLEET_COMMON_UTIL_COMMAND_LINE_H_
#define ZEROFLEET_COMMON_UTIL_COMMAND_LINE_H_

#include <string>
#include <vector>

namespace zf {

// "--parallel-games=8" -> "--parallel_games=8"; anything not starting with "--" is unchanged.
std::string NormaliseFlagName(const std::string& arg);

// absl::ParseCommandLine over argv with names normalised; returns the positional arguments
// (argv[0] first). Unknown or malformed flags make absl print the problem and exit.
std::vector<std::string> ParseCommandLineAcceptingDashes(int argc, char** argv);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_UTIL_COMMAND_LINE_H_
