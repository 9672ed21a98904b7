// Progress display for long work. Implemented in progress.cc. Thread-safe.
//
// On a terminal, Update() redraws one status line in place (at most 10 times a second).
// Otherwise (a pipe, a log file, CI) it prints a plain line at most every `log_interval`,
// so logs stay readable.
#ifndef ZEROFLEET_COMMON_UTIL_PROGRESS_H_
#define ZEROFLEET_COMMON_UTIL_PROGRESS_H_

#include <cstdio>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace zf {

struct ProgressOptions {
  FILE* out = stderr;
  absl::Duration log_interval = absl::Seconds(10);
  // Force the terminal/plain choice (tests); by default decided by isatty().
  int force_tty = -1;
};

class Progress {
 public:
  explicit Progress(ProgressOptions options = {});
  ~Progress();

  // Shows `line` (one line, no newline). Rate-limited; `force` prints regardless.
  void Update(const std::string& line, bool force = false);
  // Prints `line` as a permanent line (above the status line on a terminal).
  void Log(const std::string& line);
  // Ends the status line so later output starts on a fresh line.
  void Finish();
  // Erases the status line instead (a terminal), for a transient "measuring ..." display.
  void Clear();

  bool is_tty() const { return tty_; }

 private:
  ProgressOptions options_;
  bool tty_;
  absl::Mutex mu_;
  absl::Time last_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool line_open_ ABSL_GUARDED_BY(mu_) = false;
};

// "1h02m", "3m10s", "42s": durations for ETA displays.
std::string FormatEta(absl::Duration d);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_UTIL_PROGRESS_H_
