#include "tools/play/arena.h"

#include <algorithm>
#include <memory>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/util/hash.h"

namespace zf::play {
namespace {

// One game in flight.
struct Slot {
  bool active = false;
  ArenaGame game;
  GameState state{Rules{}};
  int opening_length = 0;
  std::unique_ptr<SearchRunner> runner[2];  // per player, for search players
  std::unique_ptr<PbrainClient> engine[2];  // per player, for engines
  bool requested = false;                   // the engine to move was asked already
  std::mt19937_64 rng;
  absl::Time move_start;
};

class Arena {
 public:
  Arena(const ArenaOptions& options, const ArenaPlayer& p1, const ArenaPlayer& p2,
        const ArenaGameCallback& on_game)
      : options_(options),
        players_{&p1, &p2},
        on_game_(on_game),
        points_(options.rules.num_points()) {}

  absl::StatusOr<ArenaResult> Run() {
    const int64_t parallel = std::min<int64_t>(options_.parallel_games, options_.games);
    slots_.resize(parallel);
    for (Slot& slot : slots_) {
      if (absl::Status s = StartGame(slot); !s.ok()) return s;
    }
    while (AnyActive()) {
      // 1. Gather leaves from every game where a search player is to move.
      for (int p = 0; p < 2; ++p) {
        batch_[p].clear();
        refs_[p].clear();
      }
      for (size_t i = 0; i < slots_.size(); ++i) {
        Slot& slot = slots_[i];
        if (!slot.active) continue;
        const int mover = Mover(slot);
        const ArenaPlayer& player = *players_[mover];
        if (player.kind != PlayerKind::kSearch) continue;
        SearchRunner& runner = *slot.runner[mover];
        const int64_t left = player.playouts - runner.playouts_this_move();
        if (left <= 0) continue;
        const int n = runner.CollectLeaves(
            static_cast<int>(std::min<int64_t>(player.search.leaves_per_round, left)),
            &batch_[mover]);
        if (n > 0) refs_[mover].push_back({i, n});
      }
      // 2. One evaluator call per player; 3. back up.
      for (int p = 0; p < 2; ++p) {
        if (batch_[p].empty()) continue;
        policy_.resize(batch_[p].size() * points_);
        value_.resize(batch_[p].size());
        absl::Status s = players_[p]->evaluator->Evaluate(batch_[p], absl::MakeSpan(policy_),
                                                          absl::MakeSpan(value_));
        if (!s.ok()) {
          return absl::Status(s.code(), absl::StrCat(players_[p]->name, ": ", s.message()));
        }
        ++result_.evaluator_calls[p];
        result_.evaluations[p] += static_cast<int64_t>(batch_[p].size());
        size_t offset = 0;
        for (const Ref& ref : refs_[p]) {
          slots_[ref.slot].runner[p]->ApplyEvaluations(
              absl::MakeConstSpan(policy_).subspan(offset * points_, ref.count * points_),
              absl::MakeConstSpan(value_).subspan(offset, ref.count));
          offset += ref.count;
        }
      }
      // 4. Play the moves that are ready.
      bool progressed = !batch_[0].empty() || !batch_[1].empty();
      for (Slot& slot : slots_) {
        if (!slot.active || stop_) continue;
        absl::StatusOr<bool> moved = MaybeMove(slot);
        if (!moved.ok()) return moved.status();
        progressed = progressed || *moved;
      }
      if (stop_) {
        result_.stopped_early = true;
        break;
      }
      // Only engines are thinking: do not spin.
      if (!progressed) absl::SleepFor(absl::Milliseconds(1));
    }
    std::sort(result_.games.begin(), result_.games.end(),
              [](const ArenaGame& a, const ArenaGame& b) { return a.index < b.index; });
    return std::move(result_);
  }

 private:
  struct Ref {
    size_t slot;
    int count;
  };

  bool AnyActive() const {
    for (const Slot& s : slots_) {
      if (s.active) return true;
    }
    return false;
  }

  // The player (0 or 1) to move in `slot`.
  int Mover(const Slot& slot) const {
    const bool black_to_move = slot.state.to_move() == Player::kBlack;
    return black_to_move == slot.game.player1_black ? 0 : 1;
  }

  absl::Status StartGame(Slot& slot) {
    slot.active = false;
    for (int p = 0; p < 2; ++p) {
      slot.runner[p].reset();
      slot.engine[p].reset();  // sends END
    }
    if (stop_ || next_game_ >= options_.games) return absl::OkStatus();
    const int64_t index = next_game_++;
    slot.game = ArenaGame{};
    slot.game.index = index;
    slot.game.player1_black = index % 2 == 0;
    slot.game.record.id = static_cast<uint64_t>(index);
    slot.game.record.rules = options_.rules;
    slot.state = GameState(options_.rules);
    slot.rng.seed(SplitMix64(options_.seed ^ SplitMix64(static_cast<uint64_t>(index))));
    if (!options_.openings.empty()) {
      slot.game.opening =
          static_cast<int>((index / 2) % static_cast<int64_t>(options_.openings.size()));
      for (int16_t m : options_.openings[slot.game.opening]) {
        if (absl::Status s = slot.state.Play(m); !s.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("opening ", slot.game.opening + 1, ": ", s.message()));
        }
        MoveRecord record;
        record.move = m;
        slot.game.record.moves.push_back(std::move(record));
        slot.game.move_ms.push_back(0);
      }
    }
    slot.opening_length = static_cast<int>(slot.game.record.moves.size());
    for (int p = 0; p < 2; ++p) {
      const ArenaPlayer& player = *players_[p];
      if (player.kind == PlayerKind::kSearch) {
        SearchRunnerOptions o = player.search;
        o.seed = SplitMix64(o.seed + 2 * static_cast<uint64_t>(index) + p);
        slot.runner[p] = std::make_unique<SearchRunner>(o, player.evaluator);
        slot.runner[p]->Reset(slot.state);
      } else if (player.kind == PlayerKind::kEngine) {
        absl::StatusOr<std::unique_ptr<PbrainClient>> engine =
            PbrainClient::Start(player.engine, options_.rules);
        if (!engine.ok()) return engine.status();
        slot.engine[p] = *std::move(engine);
      }
    }
    slot.requested = false;
    slot.move_start = absl::Now();
    slot.active = true;
    return absl::OkStatus();
  }

  // Plays the mover's move if it is ready; returns whether the game changed.
  absl::StatusOr<bool> MaybeMove(Slot& slot) {
    const int mover = Mover(slot);
    const ArenaPlayer& player = *players_[mover];
    switch (player.kind) {
      case PlayerKind::kSearch: {
        SearchRunner& runner = *slot.runner[mover];
        if (runner.playouts_this_move() < player.playouts) return false;
        const int after_opening =
            static_cast<int>(slot.game.record.moves.size()) - slot.opening_length;
        const float temperature = after_opening < options_.sample_moves ? 1.0f : 0.0f;
        const SearchResult snapshot = runner.Snapshot();
        const int move = runner.ChooseMove(temperature);
        if (absl::Status s = Play(slot, move, snapshot); !s.ok()) return s;
        return true;
      }
      case PlayerKind::kRandom: {
        int16_t legal[kMaxPoints];
        const int n = slot.state.LegalMoves(absl::MakeSpan(legal));
        const int move = legal[std::uniform_int_distribution<int>(0, n - 1)(slot.rng)];
        if (absl::Status s = Play(slot, move, SearchResult{}); !s.ok()) return s;
        return true;
      }
      case PlayerKind::kEngine: {
        PbrainClient& engine = *slot.engine[mover];
        std::vector<int16_t> moves;
        for (const MoveRecord& m : slot.game.record.moves) moves.push_back(m.move);
        if (!slot.requested) {
          if (absl::Status s = engine.RequestMove(moves); !s.ok()) {
            return Forfeit(slot, mover, s.message());
          }
          slot.requested = true;
        }
        absl::StatusOr<std::optional<int>> move = engine.PollMove();
        if (!move.ok()) return Forfeit(slot, mover, move.status().message());
        if (!move->has_value()) return false;
        if (!slot.state.IsLegal(**move)) {
          return Forfeit(slot, mover,
                         absl::StrCat("illegal move ", FormatXY(**move), " (occupied)"));
        }
        if (absl::Status s = Play(slot, **move, SearchResult{}); !s.ok()) return s;
        return true;
      }
    }
    return false;
  }

  std::string FormatXY(int point) const {
    return absl::StrCat(point % options_.rules.size, ",", point / options_.rules.size);
  }

  absl::Status Play(Slot& slot, int move, const SearchResult& search) {
    const absl::Time now = absl::Now();
    if (absl::Status s = slot.state.Play(move); !s.ok()) return s;
    MoveRecord record;
    record.move = static_cast<int16_t>(move);
    record.root_value = search.value;
    record.visits = search.visits;
    slot.game.record.moves.push_back(std::move(record));
    slot.game.move_ms.push_back(
        static_cast<int32_t>(absl::ToInt64Milliseconds(now - slot.move_start)));
    slot.move_start = now;
    slot.requested = false;
    for (auto& runner : slot.runner) {
      if (runner != nullptr) {
        if (absl::Status s = runner->Play(move); !s.ok()) return s;
      }
    }
    if (!slot.state.IsTerminal()) return absl::OkStatus();
    const Outcome outcome = slot.state.outcome();
    int winner = -1;
    if (outcome != Outcome::kDraw) {
      const bool black_won = outcome == Outcome::kBlackWin;
      winner = black_won == slot.game.player1_black ? 0 : 1;
    }
    return Finish(slot, winner, outcome,
                  outcome == Outcome::kDraw ? "board full" : "five in a row");
  }

  // `loser`, the side to move, forfeits (timeout, crash, illegal move); the record marks it
  // as a resignation. Returns true (the game changed).
  absl::StatusOr<bool> Forfeit(Slot& slot, int loser, absl::string_view why) {
    const int winner = 1 - loser;
    slot.game.record.resigned = true;
    const bool winner_black = (winner == 0) == slot.game.player1_black;
    absl::Status s = Finish(slot, winner, winner_black ? Outcome::kBlackWin : Outcome::kWhiteWin,
                            absl::StrCat(players_[loser]->name, " forfeits: ", why));
    if (!s.ok()) return s;
    return true;
  }

  absl::Status Finish(Slot& slot, int winner, Outcome outcome, std::string reason) {
    slot.game.record.result = outcome;
    slot.game.winner = winner;
    slot.game.reason = std::move(reason);
    if (winner == 0) {
      ++result_.score.wins;
    } else if (winner == 1) {
      ++result_.score.losses;
    } else {
      ++result_.score.draws;
    }
    if (on_game_ && on_game_(slot.game, result_.score)) stop_ = true;
    result_.games.push_back(std::move(slot.game));
    return StartGame(slot);
  }

  const ArenaOptions& options_;
  const ArenaPlayer* players_[2];
  const ArenaGameCallback& on_game_;
  const size_t points_;
  std::vector<Slot> slots_;
  int64_t next_game_ = 0;
  bool stop_ = false;
  ArenaResult result_;
  std::vector<EncodedPosition> batch_[2];
  std::vector<Ref> refs_[2];
  std::vector<float> policy_;
  std::vector<float> value_;
};

absl::Status ValidatePlayer(const ArenaPlayer& p, absl::string_view which) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(which, " (", p.name, "): ", why));
  };
  switch (p.kind) {
    case PlayerKind::kSearch:
      if (p.evaluator == nullptr) return bad("a search player needs an evaluator");
      if (p.playouts < 1) return bad(absl::StrCat("playouts = ", p.playouts, " must be >= 1"));
      if (absl::Status s = ValidateSearchRunnerOptions(p.search); !s.ok()) return bad(s.message());
      break;
    case PlayerKind::kEngine:
      if (p.engine.command.empty()) return bad("an engine player needs a command");
      break;
    case PlayerKind::kRandom:
      break;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateArenaOptions(const ArenaOptions& o) {
  if (absl::Status s = ValidateRules(o.rules); !s.ok()) return s;
  if (o.games < 1)
    return absl::InvalidArgumentError(absl::StrCat("games = ", o.games, " must be >= 1"));
  if (o.parallel_games < 1 || o.parallel_games > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("parallel_games = ", o.parallel_games, " out of range: 1..4096"));
  }
  if (o.sample_moves < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("sample_moves = ", o.sample_moves, " must be >= 0"));
  }
  for (size_t i = 0; i < o.openings.size(); ++i) {
    GameState state(o.rules);
    for (int16_t m : o.openings[i]) {
      if (absl::Status s = state.Play(m); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("opening ", i + 1, ": ", s.message()));
      }
    }
    if (state.IsTerminal()) {
      return absl::InvalidArgumentError(absl::StrCat("opening ", i + 1, " already ends the game"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ArenaResult> RunArena(const ArenaOptions& options, const ArenaPlayer& player1,
                                     const ArenaPlayer& player2, const ArenaGameCallback& on_game) {
  if (absl::Status s = ValidateArenaOptions(options); !s.ok()) return s;
  if (absl::Status s = ValidatePlayer(player1, "player 1"); !s.ok()) return s;
  if (absl::Status s = ValidatePlayer(player2, "player 2"); !s.ok()) return s;
  Arena arena(options, player1, player2, on_game);
  return arena.Run();
}

}  // namespace zf::play
