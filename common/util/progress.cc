#include "common/util/progress.h"

#include <unistd.h>

#include <cmath>

#include "absl/strings/str_format.h"

namespace zf {

Progress::Progress(ProgressOptions options)
    : options_(options),
      tty_(options.force_tty >= 0 ? options.force_tty == 1 : isatty(fileno(options.out)) == 1) {}

Progress::~Progress() { Finish(); }

void Progress::Update(const std::string& line, bool force) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  const absl::Duration interval = tty_ ? absl::Milliseconds(100) : options_.log_interval;
  if (!force && now - last_ < interval) return;
  last_ = now;
  if (tty_) {
    absl::FPrintF(options_.out, "\r\033[K%s", line);
    line_open_ = true;
  } else {
    absl::FPrintF(options_.out, "%s\n", line);
  }
  std::fflush(options_.out);
}

void Progress::Log(const std::string& line) {
  absl::MutexLock lock(&mu_);
  if (tty_ && line_open_) absl::FPrintF(options_.out, "\r\033[K");
  line_open_ = false;
  absl::FPrintF(options_.out, "%s\n", line);
  std::fflush(options_.out);
}

void Progress::Clear() {
  absl::MutexLock lock(&mu_);
  if (tty_ && line_open_) absl::FPrintF(options_.out, "\r\033[K");
  line_open_ = false;
  std::fflush(options_.out);
}

void Progress::Finish() {
  absl::MutexLock lock(&mu_);
  if (tty_ && line_open_) absl::FPrintF(options_.out, "\n");
  line_open_ = false;
  std::fflush(options_.out);
}

std::string FormatEta(absl::Duration d) {
  if (d == absl::InfiniteDuration() || d < absl::ZeroDuration()) return "?";
  const int64_t s = absl::ToInt64Seconds(d);
  if (s >= 3600) return absl::StrFormat("%dh%02dm", s / 3600, (s / 60) % 60);
  if (s >= 60) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%ds", s);
}

}  // namespace zf
