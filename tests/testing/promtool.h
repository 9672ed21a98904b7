// Runs Prometheus' `promtool check metrics` (Debian package `prometheus`) on exposition text.
// Implemented in promtool.cc.
#ifndef ZEROFLEET_TESTS_TESTING_PROMTOOL_H_
#define ZEROFLEET_TESTS_TESTING_PROMTOOL_H_

#include <string>

namespace zf::testing {

inline constexpr char kPromtool[] = "/usr/bin/promtool";
inline constexpr char kPrometheus[] = "/usr/bin/prometheus";

struct PromtoolResult {
  int exit_code = -1;  // 0: the text parses and passes promtool's lint
  std::string output;  // what promtool printed (its findings)
};

// `text` is written to a file in `dir` and piped to `promtool check metrics`.
PromtoolResult CheckMetrics(const std::string& text, const std::string& dir);

}  // namespace zf::testing

#endif  // ZEROFLEET_TESTS_TESTING_PROMTOOL_H_
