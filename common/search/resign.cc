#include "common/search/resign.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace zf {

absl::Status ValidateResignOptions(const ResignOptions& o) {
  if (!(o.threshold >= 0 && o.threshold < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("resign_threshold = ", o.threshold, " out of range: [0, 1) (0 = off)"));
  }
  if (o.consecutive < 1 || o.consecutive > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("resign_consecutive = ", o.consecutive, " out of range: 1..100"));
  }
  if (!(o.no_resign_fraction >= 0 && o.no_resign_fraction <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("no_resign_fraction = ", o.no_resign_fraction, " out of range: 0..1"));
  }
  if (!(o.target_false_rate > 0 && o.target_false_rate < 1)) {
    return absl::InvalidArgumentError(absl::StrCat("resign_false_rate = ", o.target_false_rate,
                                                   " out of range: 0..1 (both excluded)"));
  }
  return absl::OkStatus();
}

ResignControl::ResignControl(const ResignOptions& options)
    : options_(options), threshold_(options.threshold) {}

void ResignControl::ReportPlayedOut(Player would_have_resigned, Outcome outcome) {
  const Outcome lost =
      would_have_resigned == Player::kBlack ? Outcome::kWhiteWin : Outcome::kBlackWin;
  absl::MutexLock lock(&mu_);
  ++checked_;
  ++window_checked_;
  if (outcome != lost) {
    ++false_;
    ++window_false_;
  }
  if (window_checked_ < kWindow) return;
  // Too many wrong: halve the distance to 1. Clearly fewer than wanted: relax towards the
  // configured threshold (never below it).
  const float rate = static_cast<float>(window_false_) / window_checked_;
  float t = threshold_.load();
  if (rate > options_.target_false_rate) {
    t = t + 0.5f * (1.0f - t);
  } else if (rate < 0.5f * options_.target_false_rate) {
    t = std::max(options_.threshold, t - 0.02f);
  }
  threshold_.store(std::min(t, 0.999f));
  window_checked_ = 0;
  window_false_ = 0;
}

int64_t ResignControl::checked() const {
  absl::MutexLock lock(&mu_);
  return checked_;
}

int64_t ResignControl::false_resigns() const {
  absl::MutexLock lock(&mu_);
  return false_;
}

void ResignTracker::Reset(bool no_resign) {
  no_resign_ = no_resign;
  streak_[0] = streak_[1] = 0;
  would_resign_ = -1;
}

bool ResignTracker::ShouldResign(const ResignControl& control, int consecutive, Player mover,
                                 bool full_search, float root_value) {
  if (!full_search) return false;  // a fast move's few playouts say too little
  int& streak = streak_[static_cast<int>(mover)];
  streak = root_value < -control.threshold() ? streak + 1 : 0;
  if (streak < consecutive) return false;
  if (!no_resign_) return true;
  if (would_resign_ < 0) would_resign_ = static_cast<int>(mover);
  return false;
}

void ResignTracker::Finish(ResignControl* control, Outcome outcome) const {
  if (would_resign_ >= 0) control->ReportPlayedOut(static_cast<Player>(would_resign_), outcome);
}

}  // namespace zf
