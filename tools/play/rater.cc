#include "tools/play/rater.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/util/file_io.h"
#include "tools/play/arena.h"
#include "tools/play/evaluator_factory.h"
#include "tools/play/openings.h"

namespace zf::play {
namespace {

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool Exists(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

// A player and the evaluator it owns.
struct OwnedPlayer {
  ArenaPlayer player;
  std::unique_ptr<Evaluator> evaluator;
};

}  // namespace

std::string AnchorName(int playouts) { return absl::StrCat("uniform@", playouts); }
std::string FrozenName(const std::string& path) { return "model:" + BaseName(path); }

absl::Status ValidateRaterOptions(const RaterOptions& o) {
  if (absl::Status s = ValidateRules(o.rules); !s.ok()) return s;
  if (o.playouts < 1 || o.playouts > 100000) {
    return absl::InvalidArgumentError(
        absl::StrCat("rating_playouts = ", o.playouts, " out of range: 1..100000"));
  }
  if (o.games_per_opponent < 2 || o.games_per_opponent % 2 != 0 || o.games_per_opponent > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("rating_games = ", o.games_per_opponent, " must be even, 2..1000"));
  }
  if (!(o.budget > 0 && o.budget <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("rating_budget = ", o.budget, " out of range: 0..1 (0 = off)"));
  }
  if (std::find(o.anchor_playouts.begin(), o.anchor_playouts.end(), kAnchorPlayouts) ==
      o.anchor_playouts.end()) {
    return absl::InvalidArgumentError("anchor playouts must include 400 (the Elo zero)");
  }
  for (const std::string& path : o.frozen_models) {
    if (!Exists(path)) {
      return absl::InvalidArgumentError(absl::StrCat("rating anchor ", path, ": cannot read"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Rater>> Rater::Create(const RaterOptions& options,
                                                     std::function<void(const std::string&)> log) {
  if (absl::Status s = ValidateRaterOptions(options); !s.ok()) return s;
  std::unique_ptr<Rater> rater(new Rater(options, std::move(log)));
  absl::StatusOr<std::unique_ptr<RatingLog>> ratings =
      RatingLog::Open(options.run_dir, rater->log_);
  if (!ratings.ok()) return ratings.status();
  rater->ratings_ = *std::move(ratings);
  if (!rater->ratings_->versions().empty()) {
    const RatedVersion& last = rater->ratings_->versions().back();
    rater->minutes_before_ = last.minutes;
    absl::MutexLock lock(&rater->mu_);
    rater->summary_.rated = true;
    rater->summary_.latest = last;
  }
  return rater;
}

Rater::~Rater() { Stop(); }

void Rater::Start(ModelSource source, std::function<void(const RaterSummary&)> on_rated) {
  on_rated_ = std::move(on_rated);
  thread_ = std::thread([this, source = std::move(source)] { Loop(source); });
}

void Rater::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

RaterSummary Rater::summary() const {
  absl::MutexLock lock(&mu_);
  RaterSummary s = summary_;
  s.cpu_seconds = cpu_seconds_.load();
  return s;
}

bool Rater::BudgetAllows() const {
  const int cores =
      options_.cores > 0 ? options_.cores : std::max(1u, std::thread::hardware_concurrency());
  const double wall = absl::ToDoubleSeconds(absl::Now() - start_);
  return cpu_seconds_.load() <= options_.budget * cores * wall;
}

void Rater::Loop(const ModelSource& source) {
  int64_t last = ratings_->versions().empty() ? 0 : ratings_->versions().back().version;
  while (!stop_.load()) {
    std::optional<ModelSnapshot> model;
    if (BudgetAllows()) model = source(last);
    if (!model.has_value()) {
      for (int i = 0; i < 10 && !stop_.load(); ++i) absl::SleepFor(absl::Milliseconds(100));
      continue;
    }
    absl::Status status = RateNow(*model);
    if (!status.ok() && !stop_.load()) {
      log_(absl::StrCat("rating v", model->version, " failed: ", status.message()));
    }
    last = model->version;  // a failed version is not retried; the next one is rated
  }
}

absl::StatusOr<std::vector<PlayerRating>> Rater::Fit() const {
  EloFitOptions fit;
  fit.anchor = AnchorName(kAnchorPlayouts);
  return FitElo(ratings_->PairResults(), fit);
}

absl::Status Rater::CalibrateAnchors() {
  std::vector<int> ladder = options_.anchor_playouts;
  std::sort(ladder.begin(), ladder.end());
  for (size_t i = 0; i + 1 < ladder.size(); ++i) {
    const std::string a = AnchorName(ladder[i]), b = AnchorName(ladder[i + 1]);
    bool played = false;
    for (const RatingMatch& m : ratings_->matches()) played |= (m.a == a && m.b == b);
    if (!played) {
      if (absl::Status s = PlayMatch(a, b); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> Rater::ChooseOpponents(int64_t version) const {
  std::vector<std::string> out;
  absl::StatusOr<std::vector<PlayerRating>> fit = Fit();
  auto rating_of = [&](const std::string& name) -> const PlayerRating* {
    if (!fit.ok()) return nullptr;
    for (const PlayerRating& r : *fit) {
      if (r.name == name && r.rated) return &r;
    }
    return nullptr;
  };
  double expected = 0;
  if (!ratings_->versions().empty()) {
    const int64_t previous = ratings_->versions().back().version;
    const std::string name = RatingLog::VersionName(previous);
    if (previous != version && Exists(ratings_->ModelPath(previous))) out.push_back(name);
    if (const PlayerRating* r = rating_of(name); r != nullptr && std::isfinite(r->elo)) {
      expected = r->elo;
    }
  }
  // The fixed anchor nearest the expected Elo; an unconnected frozen model once the version is
  // above every connected anchor.
  std::string nearest;
  double best = std::numeric_limits<double>::infinity(), top = -best;
  for (int playouts : options_.anchor_playouts) {
    const std::string name = AnchorName(playouts);
    const PlayerRating* r = rating_of(name);
    const double elo = r != nullptr ? r->elo : 0;
    if (r == nullptr && playouts != kAnchorPlayouts) continue;
    top = std::max(top, elo);
    if (std::abs(elo - expected) < best) best = std::abs(elo - expected), nearest = name;
  }
  std::string unconnected;
  for (const std::string& path : options_.frozen_models) {
    const std::string name = FrozenName(path);
    const PlayerRating* r = rating_of(name);
    if (r == nullptr) {
      if (unconnected.empty()) unconnected = name;
      continue;
    }
    top = std::max(top, r->elo);
    if (std::abs(r->elo - expected) < best) best = std::abs(r->elo - expected), nearest = name;
  }
  if (!unconnected.empty() && expected > top) nearest = unconnected;
  out.push_back(nearest);
  return out;
}

absl::Status Rater::PlayMatch(const std::string& a, const std::string& b) {
  auto make = [&](const std::string& name) -> absl::StatusOr<OwnedPlayer> {
    OwnedPlayer p;
    p.player.name = name;
    p.player.kind = PlayerKind::kSearch;
    p.player.playouts = options_.playouts;
    std::string spec;
    int anchor_playouts = 0;
    if (absl::StartsWith(name, "uniform@") && absl::SimpleAtoi(name.substr(8), &anchor_playouts)) {
      spec = "uniform";
      p.player.playouts = anchor_playouts;
    } else if (absl::StartsWith(name, "model:")) {
      for (const std::string& path : options_.frozen_models) {
        if (FrozenName(path) == name) spec = path;
      }
    } else {
      int64_t version = 0;
      if (name.size() > 1 && absl::SimpleAtoi(name.substr(1), &version)) {
        spec = ratings_->ModelPath(version);
      }
    }
    if (spec.empty()) return absl::NotFoundError(absl::StrCat("rating: unknown player ", name));
    absl::StatusOr<std::unique_ptr<Evaluator>> evaluator = MakeEvaluator(spec, options_.device);
    if (!evaluator.ok()) return evaluator.status();
    p.evaluator = *std::move(evaluator);
    p.player.evaluator = p.evaluator.get();
    p.player.search.search.root_noise = false;
    p.player.search.seed = options_.seed + static_cast<uint64_t>(rounds_);
    return p;
  };
  absl::StatusOr<OwnedPlayer> pa = make(a);
  if (!pa.ok()) return pa.status();
  absl::StatusOr<OwnedPlayer> pb = make(b);
  if (!pb.ok()) return pb.status();

  // Rotate through the openings so successive matches see different ones.
  const std::vector<std::vector<int16_t>> all = OpeningsForRules(BuiltinOpenings(), options_.rules);
  ArenaOptions arena;
  arena.rules = options_.rules;
  arena.games = options_.games_per_opponent;
  arena.parallel_games = options_.parallel_games;
  arena.sample_moves = 2;
  arena.seed = options_.seed * 1000003 + static_cast<uint64_t>(rounds_);
  const size_t count = static_cast<size_t>(options_.games_per_opponent / 2);
  for (size_t i = 0; i < count; ++i) {
    arena.openings.push_back(all[(static_cast<size_t>(rounds_) * count + i) % all.size()]);
  }
  ++rounds_;
  absl::StatusOr<ArenaResult> result =
      RunArena(arena, pa->player, pb->player,
               [this](const ArenaGame&, const MatchScore&) { return stop_.load(); });
  if (!result.ok()) return result.status();
  if (result->stopped_early || stop_.load()) return absl::CancelledError("rating stopped");
  RatingMatch match;
  match.time = absl::ToUnixMillis(absl::Now()) / 1000.0;
  match.a = a;
  match.b = b;
  match.wins = result->score.wins;
  match.draws = result->score.draws;
  match.losses = result->score.losses;
  {
    absl::MutexLock lock(&mu_);
    summary_.games_played += result->score.games();
  }
  return ratings_->AppendMatch(match);
}

absl::Status Rater::RateNow(const ModelSnapshot& model) {
  // The budget counts this thread's CPU time, failed rounds included.
  const double cpu_start = ThreadCpuSeconds();
  struct Account {
    ~Account() { total->store(total->load() + ThreadCpuSeconds() - start); }
    std::atomic<double>* total;
    double start;
  } account{&cpu_seconds_, cpu_start};
  // 1. The anchor ladder, once per run.
  if (absl::Status s = CalibrateAnchors(); !s.ok()) return s;
  // 2. The version against its opponents.
  const std::string name = RatingLog::VersionName(model.version);
  if (absl::Status s = WriteFileAtomically(ratings_->ModelPath(model.version), model.bytes);
      !s.ok()) {
    return s;
  }
  int64_t games = 0;
  for (const std::string& opponent : ChooseOpponents(model.version)) {
    if (absl::Status s = PlayMatch(name, opponent); !s.ok()) return s;
    games += options_.games_per_opponent;
  }
  // 3. Refit and publish.
  absl::StatusOr<std::vector<PlayerRating>> fit = Fit();
  if (!fit.ok()) return fit.status();
  RatedVersion rated;
  for (const PlayerRating& r : *fit) {
    if (r.name != name) continue;
    rated.elo = r.elo;
    rated.elo_low = r.elo_low;
    rated.elo_high = r.elo_high;
  }
  rated.version = model.version;
  rated.step = model.step;
  rated.games = model.games;
  rated.minutes = minutes_before_ + absl::ToDoubleMinutes(absl::Now() - start_);
  rated.rating_games = games;
  rated.time = absl::ToUnixMillis(absl::Now()) / 1000.0;
  if (absl::Status s = ratings_->AppendVersion(rated); !s.ok()) return s;
  RaterSummary summary;
  {
    absl::MutexLock lock(&mu_);
    summary_.rated = true;
    summary_.latest = rated;
    summary = summary_;
  }
  summary.cpu_seconds = cpu_seconds_.load() + ThreadCpuSeconds() - cpu_start;
  if (on_rated_) on_rated_(summary);
  return absl::OkStatus();
}

}  // namespace zf::play
