#include "learner/metrics_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/util/file_io.h"

namespace zf {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

JsonLine& JsonLine::Int(absl::string_view key, int64_t value) {
  row_[std::string(key)] = value;
  return *this;
}

JsonLine& JsonLine::Double(absl::string_view key, double value) {
  row_[std::string(key)] = std::isfinite(value) ? nlohmann::ordered_json(value) : nullptr;
  return *this;
}

JsonLine& JsonLine::String(absl::string_view key, absl::string_view value) {
  row_[std::string(key)] = std::string(value);
  return *this;
}

JsonLine& JsonLine::Bool(absl::string_view key, bool value) {
  row_[std::string(key)] = value;
  return *this;
}

JsonLine ToJson(const LearnerMetricsRow& m) {
  JsonLine line;
  line.Int("step", m.step)
      .Double("time", absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()))
      .Double("policy_loss", m.stats.policy_loss)
      .Double("value_loss", m.stats.value_loss)
      .Double("policy_entropy", m.stats.policy_entropy)
      .Double("lr", m.stats.lr)
      .Double("grad_norm", m.stats.grad_norm)
      .Double("samples_per_second", m.samples_per_second)
      .Int("buffer_size", m.buffer_size)
      .Int("positions_added", m.positions_added)
      .Int("games", m.games)
      .Int("model_version", m.model_version);
  return line;
}

absl::StatusOr<std::unique_ptr<MetricsLog>> MetricsLog::Open(const std::string& run_dir,
                                                             const MetricsLogOptions& options) {
  if (absl::Status s = MakeDirs(run_dir); !s.ok()) return s;
  const std::string path = absl::StrCat(run_dir, "/metrics.jsonl");
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot open", path);
  // End a line a crash cut short, so the next object starts on its own line.
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_size > 0) {
    char last = '\n';
    if (pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n') {
      if (write(fd, "\n", 1) != 1) {
        absl::Status s = Errno("cannot write", path);
        close(fd);
        return s;
      }
    }
  }
  return std::unique_ptr<MetricsLog>(new MetricsLog(path, fd, options));
}

MetricsLog::~MetricsLog() {
  fsync(fd_);
  close(fd_);
}

absl::Status MetricsLog::Append(const JsonLine& line) {
  const std::string text = line.ToString() + "\n";
  absl::MutexLock lock(&mu_);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd_, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot append to", path_);
    }
    done += static_cast<size_t>(n);
  }
  if (++unsynced_lines_ >= options_.fsync_every_lines ||
      absl::Now() - last_sync_ >= options_.fsync_interval) {
    return SyncLocked();
  }
  return absl::OkStatus();
}

absl::Status MetricsLog::Sync() {
  absl::MutexLock lock(&mu_);
  return SyncLocked();
}

absl::Status MetricsLog::SyncLocked() {
  unsynced_lines_ = 0;
  last_sync_ = absl::Now();
  if (fsync(fd_) != 0) return Errno("cannot fsync", path_);
  return absl::OkStatus();
}

}  // namespace zf
