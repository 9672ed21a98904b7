#include "common/search/self_play.h"

#include <algorithm>
#include <cassert>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/search/search_runner.h"
#include "common/util/hash.h"

namespace zf {
namespace {

SearchRunnerOptions RunnerOptions(const SearchOptions& search, uint64_t seed) {
  SearchRunnerOptions o;
  o.search = search;
  o.leaves_per_round = search.leaves_per_game;
  o.seed = seed;
  return o;
}

// One game in flight. Its search is the same SearchRunner the arena and the engines use
// (its step API: CollectLeaves, then ApplyEvaluations).
struct Slot {
  Slot(const SearchOptions& search, uint64_t seed)
      : runner(RunnerOptions(search, seed), /*evaluator=*/nullptr), rng(seed ^ 0xabcdef) {}
  SearchRunner runner;
  std::mt19937_64 rng;
  GameRecord record;
  ResignTracker resign;
  bool active = false;
  bool full_search = true;
  int budget = 0;   // playouts for this move (runner.playouts_this_move() counts them)
  int pending = 0;  // positions of this slot in the current batch
};

class Driver {
 public:
  Driver(const SelfPlayOptions& options, int games, uint64_t seed, Evaluator* evaluator,
         const GameSink& sink, SelfPlayStats* stats, std::atomic<int64_t>* games_started,
         ResignControl* resign)
      : options_(options),
        evaluator_(evaluator),
        sink_(sink),
        stats_(stats),
        games_started_(games_started),
        resign_(resign),
        points_(options.rules.num_points()) {
    for (int i = 0; i < games; ++i) {
      slots_.push_back(std::make_unique<Slot>(options.search, SplitMix64(seed + i)));
    }
    const size_t max_batch = size_t(games) * options.search.leaves_per_game;
    batch_.reserve(max_batch);
    policy_.resize(max_batch * points_);
    value_.resize(max_batch);
  }

  absl::Status Run(const std::atomic<bool>* stop) {
    for (auto& slot : slots_) StartGame(*slot);
    while (AnyActive()) {
      if (stop != nullptr && stop->load(std::memory_order_relaxed)) return absl::OkStatus();
      // 1. Gather leaves from every game.
      batch_.clear();
      int64_t sims = 0;
      for (auto& slot : slots_) {
        slot->pending = 0;
        if (!slot->active) continue;
        const int64_t before = slot->runner.playouts_this_move();
        const int want = static_cast<int>(
            std::min<int64_t>(options_.search.leaves_per_game, slot->budget - before));
        slot->pending = slot->runner.CollectLeaves(want, &batch_);
        sims += slot->runner.playouts_this_move() - before;
      }
      // 2. One evaluator call for the whole batch.
      if (!batch_.empty()) {
        absl::Status st =
            evaluator_->Evaluate(batch_, absl::MakeSpan(policy_), absl::MakeSpan(value_));
        if (!st.ok()) return st;
        stats_->evaluations.fetch_add(batch_.size(), std::memory_order_relaxed);
        stats_->batches.fetch_add(1, std::memory_order_relaxed);
      }
      // 3. Back up, each game its own part of the batch.
      size_t offset = 0;
      for (auto& slot : slots_) {
        if (slot->pending == 0) continue;
        const size_t n = slot->pending;
        slot->runner.ApplyEvaluations(
            absl::MakeConstSpan(policy_).subspan(offset * points_, n * points_),
            absl::MakeConstSpan(value_).subspan(offset, n));
        offset += n;
      }
      stats_->simulations.fetch_add(sims, std::memory_order_relaxed);
      // 4. Move where the budget is spent.
      for (auto& slot : slots_) {
        if (slot->active && slot->runner.playouts_this_move() >= slot->budget) PlayMove(*slot);
      }
    }
    return absl::OkStatus();
  }

 private:
  bool AnyActive() const {
    for (const auto& s : slots_) {
      if (s->active) return true;
    }
    return false;
  }

  void StartGame(Slot& slot) {
    const int64_t index = games_started_->fetch_add(1);
    if (options_.max_games >= 0 && index >= options_.max_games) {
      slot.active = false;
      return;
    }
    slot.active = true;
    slot.record = GameRecord{};
    slot.record.id = SplitMix64(options_.seed * 0x100000001b3ull + static_cast<uint64_t>(index));
    slot.record.rules = options_.rules;
    slot.runner.Reset(GameState(options_.rules));
    const ResignOptions& r = options_.resign;
    slot.resign.Reset(r.enabled() &&
                      std::uniform_real_distribution<float>(0, 1)(slot.rng) < r.no_resign_fraction);
    StartMove(slot);
  }

  void StartMove(Slot& slot) {
    const SearchOptions& o = options_.search;
    slot.full_search = !(o.fast_move_fraction > 0 && std::uniform_real_distribution<float>(
                                                         0, 1)(slot.rng) < o.fast_move_fraction);
    slot.budget = slot.full_search ? o.simulations : o.EffectiveFastSimulations();
    if (slot.full_search && o.root_noise) slot.runner.AddRootNoise();
  }

  void PlayMove(Slot& slot) {
    const SearchOptions& o = options_.search;
    const int move_number = static_cast<int>(slot.record.moves.size());
    const int temp_moves = o.temperature_moves >= 0 ? o.temperature_moves : options_.rules.size;
    const float temperature = move_number < temp_moves ? o.temperature : o.final_temperature;
    MoveRecord m;
    m.full_search = slot.full_search;
    m.root_value = slot.runner.RootValue();
    if (options_.resign.enabled() &&
        slot.resign.ShouldResign(*resign_, options_.resign.consecutive,
                                 slot.runner.state().to_move(), m.full_search, m.root_value)) {
      Resign(slot);
      return;
    }
    if (slot.full_search) m.visits = slot.runner.PolicyTargetVisits();
    m.move = static_cast<int16_t>(slot.runner.ChooseMove(temperature));
    slot.record.moves.push_back(std::move(m));
    // ChooseMove picks a legal move; Play's check failing would be a search bug.
    const absl::Status played = slot.runner.Play(slot.record.moves.back().move);
    assert(played.ok());
    (void)played;
    stats_->moves.fetch_add(1, std::memory_order_relaxed);
    const GameState& state = slot.runner.state();
    if (state.IsTerminal()) {
      slot.record.result = state.outcome();
      if (options_.resign.enabled()) {
        slot.resign.Finish(resign_, state.outcome());
        stats_->resign_checked.store(resign_->checked(), std::memory_order_relaxed);
        stats_->false_resigns.store(resign_->false_resigns(), std::memory_order_relaxed);
        stats_->resign_threshold.store(resign_->threshold(), std::memory_order_relaxed);
      }
      FinishGame(slot);
    } else {
      StartMove(slot);
    }
  }

  // The side to move gives up: the other side wins, the record says it was a resignation.
  void Resign(Slot& slot) {
    const Player loser = slot.runner.state().to_move();
    slot.record.result = loser == Player::kBlack ? Outcome::kWhiteWin : Outcome::kBlackWin;
    slot.record.resigned = true;
    stats_->resigned.fetch_add(1, std::memory_order_relaxed);
    FinishGame(slot);
  }

  void FinishGame(Slot& slot) {
    stats_->games.fetch_add(1, std::memory_order_relaxed);
    sink_(std::move(slot.record));
    StartGame(slot);
  }

  const SelfPlayOptions& options_;
  Evaluator* evaluator_;
  const GameSink& sink_;
  SelfPlayStats* stats_;
  std::atomic<int64_t>* games_started_;
  ResignControl* resign_;
  const int points_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<EncodedPosition> batch_;
  std::vector<float> policy_;
  std::vector<float> value_;
};

}  // namespace

absl::Status ValidateSelfPlayOptions(const SelfPlayOptions& o) {
  if (absl::Status s = ValidateRules(o.rules); !s.ok()) return s;
  if (absl::Status s = ValidateSearchOptions(o.search); !s.ok()) return s;
  if (o.parallel_games < 1 || o.parallel_games > 65536) {
    return absl::InvalidArgumentError(
        absl::StrCat("parallel_games = ", o.parallel_games, " out of range: 1..65536"));
  }
  if (o.threads < 1 || o.threads > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("threads = ", o.threads, " out of range: 1..256"));
  }
  if (absl::Status s = ValidateResignOptions(o.resign); !s.ok()) return s;
  if (o.max_games < -1) {
    return absl::InvalidArgumentError(absl::StrCat("max_games = ", o.max_games, " must be >= 0"));
  }
  return absl::OkStatus();
}

absl::Status RunSelfPlay(const SelfPlayOptions& options, Evaluator* evaluator, const GameSink& sink,
                         SelfPlayStats* stats, const std::atomic<bool>* stop) {
  if (absl::Status s = ValidateSelfPlayOptions(options); !s.ok()) return s;
  std::atomic<int64_t> games_started{0};
  ResignControl resign(options.resign);
  stats->resign_threshold.store(resign.threshold());
  const int threads = std::min(options.threads, options.parallel_games);
  std::vector<std::unique_ptr<Driver>> drivers;
  for (int t = 0; t < threads; ++t) {
    const int games = options.parallel_games / threads + (t < options.parallel_games % threads);
    drivers.push_back(std::make_unique<Driver>(options, games, SplitMix64(options.seed) + 7919 * t,
                                               evaluator, sink, stats, &games_started, &resign));
  }
  if (threads == 1) return drivers[0]->Run(stop);
  std::vector<absl::Status> results(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] { results[t] = drivers[t]->Run(stop); });
  }
  for (auto& w : workers) w.join();
  for (const absl::Status& s : results) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace zf
