#include "common/util/progress.h"

#include <stdio.h>
#include <stdlib.h>

#include <string>

#include "gtest/gtest.h"

namespace zf {
namespace {

// Captures what a Progress writes, via an in-memory FILE.
class Capture {
 public:
  Capture() : file_(open_memstream(&buf_, &len_)) {}
  ~Capture() {
    fclose(file_);
    free(buf_);
  }
  FILE* file() { return file_; }
  std::string text() {
    fflush(file_);
    return std::string(buf_, len_);
  }

 private:
  char* buf_ = nullptr;
  size_t len_ = 0;
  FILE* file_;
};

// Qualified: absl::FormatEta(absl::Duration) is also found by argument-dependent lookup.
TEST(FormatDurationTest, Formats) {
  EXPECT_EQ(FormatEta(absl::Seconds(0)), "0s");
  EXPECT_EQ(FormatEta(absl::Seconds(42)), "42s");
  EXPECT_EQ(FormatEta(absl::Seconds(190)), "3m10s");
  EXPECT_EQ(FormatEta(absl::Seconds(3720)), "1h02m");
  EXPECT_EQ(FormatEta(absl::Hours(30) + absl::Minutes(5)), "30h05m");
  EXPECT_EQ(FormatEta(absl::InfiniteDuration()), "?");
  EXPECT_EQ(FormatEta(absl::Seconds(-1)), "?");
}

TEST(ProgressTest, PlainModePrintsLinesAndRateLimits) {
  Capture capture;
  ProgressOptions options;
  options.out = capture.file();
  options.force_tty = 0;
  options.log_interval = absl::Hours(1);
  {
    Progress progress(options);
    EXPECT_FALSE(progress.is_tty());
    progress.Update("first");
    progress.Update("dropped: within the interval");
    progress.Update("forced", /*force=*/true);
    progress.Log("a log line");
  }
  EXPECT_EQ(capture.text(), "first\nforced\na log line\n");
}

TEST(ProgressTest, TerminalModeRedrawsOneLine) {
  Capture capture;
  ProgressOptions options;
  options.out = capture.file();
  options.force_tty = 1;
  {
    Progress progress(options);
    EXPECT_TRUE(progress.is_tty());
    progress.Update("status 1", /*force=*/true);
    progress.Log("log");
    progress.Update("status 2", /*force=*/true);
  }  // the destructor ends the open status line
  EXPECT_EQ(capture.text(), "\r\033[Kstatus 1\r\033[Klog\n\r\033[Kstatus 2\n");
}

TEST(ProgressTest, ClearErasesTheStatusLineWithoutANewLine) {
  Capture capture;
  ProgressOptions options;
  options.out = capture.file();
  options.force_tty = 1;
  {
    Progress progress(options);
    progress.Update("measuring", /*force=*/true);
    progress.Clear();
  }  // nothing left open for the destructor to end
  EXPECT_EQ(capture.text(), "\r\033[Kmeasuring\r\033[K");
}

}  // namespace
}  // namespace zf
