#include "learner/training_data.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/game/game_state.h"

namespace zf {

std::vector<float> TrainingPosition::PolicyTarget() const {
  std::vector<float> out(static_cast<size_t>(position.size) * position.size);
  PolicyTarget(absl::MakeSpan(out));
  return out;
}

void TrainingPosition::PolicyTarget(absl::Span<float> out) const {
  std::fill(out.begin(), out.end(), 0.0f);
  double total = 0;
  for (const auto& [point, count] : visits) total += count;
  if (total <= 0) return;
  for (const auto& [point, count] : visits) out[point] = static_cast<float>(count / total);
}

absl::StatusOr<std::vector<TrainingPosition>> ExtractTrainingPositions(const GameRecord& record) {
  if (absl::Status s = ValidateRules(record.rules); !s.ok()) return s;
  float black_result;
  switch (record.result) {
    case Outcome::kBlackWin:
      black_result = 1;
      break;
    case Outcome::kWhiteWin:
      black_result = -1;
      break;
    case Outcome::kDraw:
      black_result = 0;
      break;
    default:
      return absl::FailedPreconditionError(
          absl::StrCat("game ", record.id, " has no result; only finished games are trained on"));
  }
  std::vector<TrainingPosition> out;
  GameState state(record.rules);
  for (size_t i = 0; i < record.moves.size(); ++i) {
    const MoveRecord& m = record.moves[i];
    if (m.full_search) {
      TrainingPosition tp;
      tp.position = Encode(state);
      tp.value = state.to_move() == Player::kBlack ? black_result : -black_result;
      tp.root_value = m.root_value;
      tp.visits = m.visits;
      std::sort(tp.visits.begin(), tp.visits.end());
      uint64_t total = 0;
      for (size_t j = 0; j < tp.visits.size(); ++j) {
        const auto& [point, count] = tp.visits[j];
        if (point < 0 || point >= state.num_points() || !state.IsLegal(point) ||
            (j > 0 && tp.visits[j - 1].first == point)) {
          return absl::InvalidArgumentError(
              absl::StrCat("game ", record.id, " move ", i + 1, ": visits name point ", point,
                           ", which is off the board, occupied or repeated"));
        }
        total += count;
      }
      // Zero counts carry nothing; drop them so equal targets have equal forms.
      tp.visits.erase(std::remove_if(tp.visits.begin(), tp.visits.end(),
                                     [](const auto& v) { return v.second == 0; }),
                      tp.visits.end());
      if (total == 0) {
        return absl::InvalidArgumentError(absl::StrCat("game ", record.id, " move ", i + 1,
                                                       ": full-search move without root visits"));
      }
      out.push_back(std::move(tp));
    }
    if (absl::Status s = state.Play(m.move); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("game ", record.id, " move ", i + 1, ": ", s.message()));
    }
  }
  return out;
}

}  // namespace zf
