#include "common/search/search_runner.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace zf {

absl::Status ValidateSearchRunnerOptions(const SearchRunnerOptions& options) {
  if (absl::Status s = ValidateSearchOptions(options.search); !s.ok()) return s;
  if (options.leaves_per_round < 1 || options.leaves_per_round > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("leaves_per_round = ", options.leaves_per_round, " out of range: 1..256"));
  }
  return absl::OkStatus();
}

int64_t PlayoutsForMemory(int64_t bytes, int num_points) {
  const int64_t per_playout = 2 * (8 * int64_t{num_points} + 32);
  return std::max<int64_t>(1, bytes / per_playout);
}

SearchRunner::SearchRunner(const SearchRunnerOptions& options, Evaluator* evaluator)
    : options_(options), evaluator_(evaluator), tree_(options.search, options.seed) {
  leaves_.resize(options.leaves_per_round);
}

void SearchRunner::Reset(const GameState& state) {
  tree_.Reset(state);
  pending_ = 0;
  playouts_this_move_ = 0;
}

absl::Status SearchRunner::Play(int move) {
  GameState check = state();
  if (absl::Status s = check.Play(move); !s.ok()) return s;
  if (pending_ > 0) {
    return absl::FailedPreconditionError("Play() while leaves await ApplyEvaluations()");
  }
  tree_.Advance(move);
  playouts_this_move_ = 0;
  return absl::OkStatus();
}

int SearchRunner::CollectLeaves(int max_leaves, std::vector<EncodedPosition>* batch) {
  pending_ = 0;
  if (state().IsTerminal()) return 0;
  if (static_cast<int>(leaves_.size()) < max_leaves) leaves_.resize(max_leaves);
  for (int l = 0; l < max_leaves; ++l) {
    const SearchTree::LeafStatus status = tree_.SelectLeaf(&leaves_[pending_]);
    // A collision means the rest of the tree's good paths are already waiting: stop early.
    if (status == SearchTree::LeafStatus::kCollision) break;
    ++playouts_this_move_;
    if (status == SearchTree::LeafStatus::kNeedsEval) {
      batch->push_back(leaves_[pending_].position);
      ++pending_;
    }
  }
  return pending_;
}

void SearchRunner::ApplyEvaluations(absl::Span<const float> policy, absl::Span<const float> value) {
  const size_t points = state().num_points();
  for (int i = 0; i < pending_; ++i) {
    tree_.ApplyEvaluation(leaves_[i], policy.subspan(i * points, points), value[i]);
  }
  pending_ = 0;
}

SearchResult SearchRunner::Snapshot() {
  SearchResult r;
  r.visits = tree_.RootVisits();
  r.root_visits = tree_.root_visits();
  r.value = tree_.RootValue();
  r.win_probability = (r.value + 1) / 2;
  r.playouts = playouts_this_move_;
  // Temperature 0 does not sample: the most visited move (the first of equals), or the best
  // prior when nothing was visited yet.
  r.move = state().IsTerminal() ? kNoMove : tree_.ChooseMove(0.0f);
  return r;
}

absl::StatusOr<SearchResult> SearchRunner::Search(const SearchLimits& limits,
                                                  const SearchProgressCallback& progress) {
  if (state().IsTerminal()) return absl::FailedPreconditionError("the game is over");
  if (evaluator_ == nullptr) return absl::FailedPreconditionError("no evaluator to search with");
  if (limits.playouts <= 0 && limits.deadline == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError("a search needs a playout limit or a deadline");
  }
  const absl::Time start = absl::Now();
  const int64_t start_playouts = playouts_this_move_;
  const size_t points = state().num_points();
  int64_t evaluations = 0;
  absl::Time last_report = start;
  auto snapshot = [&](bool with_visits) {
    SearchResult r = Snapshot();
    r.playouts = playouts_this_move_ - start_playouts;
    r.evaluations = evaluations;
    r.elapsed = absl::Now() - start;
    if (!with_visits) r.visits.clear();
    return r;
  };
  while (true) {
    // 1. Select leaves (no more than the budget has left).
    const int64_t done = playouts_this_move_ - start_playouts;
    int64_t want = options_.leaves_per_round;
    if (limits.playouts > 0) want = std::min(want, limits.playouts - done);
    batch_.clear();
    const int n = CollectLeaves(static_cast<int>(want), &batch_);
    // 2. Evaluate them in one call.
    if (n > 0) {
      policy_.resize(n * points);
      value_.resize(n);
      absl::Status s =
          evaluator_->Evaluate(batch_, absl::MakeSpan(policy_), absl::MakeSpan(value_));
      if (!s.ok()) {
        // The selected paths carry virtual loss that will never be backed up: start clean.
        tree_.Reset(GameState(state()));
        pending_ = 0;
        return s;
      }
      evaluations += n;
      // 3. Back up.
      ApplyEvaluations(policy_, value_);
    }
    // 4. Stop when the budget or the time is spent.
    const int64_t now_done = playouts_this_move_ - start_playouts;
    const absl::Time now = absl::Now();
    if (now_done == done) break;  // nothing left to select (cannot happen in a live game)
    if (limits.playouts > 0 && now_done >= limits.playouts) break;
    if (now >= limits.deadline) break;
    if (progress && now - last_report >= limits.progress_interval) {
      last_report = now;
      progress(snapshot(false));
    }
  }
  return snapshot(true);
}

}  // namespace zf
