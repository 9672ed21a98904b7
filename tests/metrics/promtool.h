// Runs Prometheus' `promtool check metrics` (Debian package `prometheus`) on exposition text.
// Implemented in promtool.cc.
#ifndef ZEROFLEET_TESTS_METRICS_PROMTOOL_H_
#define ZEROFLEET_TESTS_METRICS_PROMTOOL_H_

#include <string>
#include <utility>

namespace zf::testing {

inline constexpr char kPromtool[] = "/usr/bin/promtool";
inline constexpr char kPrometheus[] = "/usr/bin/prometheus";

struct PromtoolResult {
  int exit_code = -1;  // 0: the text parses and passes promtool's lint
  std::string output;  // what promtool printed (its findings)
};

// `text` is written to a file in `dir` and piped to `promtool check metrics`.
PromtoolResult CheckMetrics(const std::string& text, const std::string& dir);

// A fresh directory under $TEST_TMPDIR or /tmp.
std::string MakeTempDir(const std::string& prefix);

// Removes a directory tree when it goes out of scope (declare it before the processes that
// write into it, so they are stopped first).
class TempDirRemover {
 public:
  explicit TempDirRemover(std::string dir) : dir_(std::move(dir)) {}
  ~TempDirRemover();
  TempDirRemover(const TempDirRemover&) = delete;
  TempDirRemover& operator=(const TempDirRemover&) = delete;

 private:
  std::string dir_;
};

}  // namespace zf::testing

#endif  // ZEROFLEET_TESTS_METRICS_PROMTOOL_H_
