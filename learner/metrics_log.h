// The learner's metrics log: one JSON object per line appended to <run_dir>/metrics.jsonl,
// fsync'd every few lines or seconds (a crash loses at most that much, never earlier lines).
// Implemented in metrics_log.cc.
//
//   {"step":1200,"time":1700000000.123,"policy_loss":3.91,"value_loss":0.82,...}
#ifndef ZEROFLEET_LEARNER_METRICS_LOG_H_
#define ZEROFLEET_LEARNER_METRICS_LOG_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "learner/trainer.h"
#include "nlohmann/json.hpp"

namespace zf {

// One JSON object, keys in the order added. Not thread-safe (a value type).
class JsonLine {
 public:
  JsonLine& Int(absl::string_view key, int64_t value);
  // Non-finite values are written as null (JSON has no NaN).
  JsonLine& Double(absl::string_view key, double value);
  JsonLine& String(absl::string_view key, absl::string_view value);
  JsonLine& Bool(absl::string_view key, bool value);
  // "{...}" without a newline, keys in the order they were added.
  std::string ToString() const { return row_.dump(); }

 private:
  nlohmann::ordered_json row_ = nlohmann::ordered_json::object();
};

// The standard learner row (what `zerofleet train` logs every few steps).
struct LearnerMetricsRow {
  int64_t step = 0;
  StepStats stats;
  double samples_per_second = 0;
  int64_t buffer_size = 0;
  int64_t positions_added = 0;
  int64_t games = 0;
  int64_t model_version = 0;
};
// Its row, with "time" (Unix seconds) added.
JsonLine ToJson(const LearnerMetricsRow& m);

struct MetricsLogOptions {
  int fsync_every_lines = 20;
  absl::Duration fsync_interval = absl::Seconds(30);
};

class MetricsLog {
 public:
  // Opens (creating <run_dir> and the file if missing) for appending. A partial last line
  // left by a crash is ended with a newline so new lines parse. Thread-safe.
  static absl::StatusOr<std::unique_ptr<MetricsLog>> Open(const std::string& run_dir,
                                                          const MetricsLogOptions& options = {});
  ~MetricsLog();  // fsyncs and closes
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  // Appends `line` and a newline in one write; fsyncs when due. Thread-safe.
  absl::Status Append(const JsonLine& line);
  // fsyncs now. Thread-safe.
  absl::Status Sync();

  const std::string& path() const { return path_; }  // Thread-safe.

 private:
  MetricsLog(std::string path, int fd, const MetricsLogOptions& options)
      : path_(std::move(path)), fd_(fd), options_(options) {}
  absl::Status SyncLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  const int fd_;
  const MetricsLogOptions options_;
  absl::Mutex mu_;
  int unsynced_lines_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_sync_ ABSL_GUARDED_BY(mu_) = absl::Now();
};

}  // namespace zf

#endif  // ZEROFLEET_LEARNER_METRICS_LOG_H_
