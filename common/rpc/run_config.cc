#include "common/rpc/run_config.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace zf {

void FillRunConfig(const SelfPlayOptions& options, zerofleet::v1::RunConfig* config) {
  zerofleet::v1::RulesConfig* rules = config->mutable_rules();
  rules->set_board_size(options.rules.size);
  rules->set_win_length(options.rules.win_length);
  rules->set_rule(options.rules.rule == Rule::kStandard ? zerofleet::v1::RULE_STANDARD
                                                        : zerofleet::v1::RULE_FREESTYLE);
  const SearchOptions& s = options.search;
  zerofleet::v1::SearchConfig* search = config->mutable_search();
  search->set_simulations(s.simulations);
  search->set_leaves_per_game(s.leaves_per_game);
  search->set_c_puct(s.c_puct);
  search->set_fpu_reduction(s.fpu_reduction);
  search->set_root_fpu_reduction(s.root_fpu_reduction);
  search->set_root_noise(s.root_noise);
  search->set_dirichlet_alpha(s.dirichlet_alpha);
  search->set_dirichlet_weight(s.dirichlet_weight);
  search->set_temperature(s.temperature);
  search->set_temperature_moves(s.temperature_moves);
  search->set_final_temperature(s.final_temperature);
  search->set_fast_move_fraction(s.fast_move_fraction);
  search->set_fast_simulations(s.fast_simulations);
  search->set_reuse_tree(s.reuse_tree);
  search->set_forced_playouts(s.forced_playouts);
  config->set_parallel_games(options.parallel_games);
  if (options.resign.enabled()) {
    zerofleet::v1::ResignConfig* resign = config->mutable_resign();
    resign->set_threshold(options.resign.threshold);
    resign->set_consecutive(static_cast<uint32_t>(options.resign.consecutive));
    resign->set_no_resign_fraction(options.resign.no_resign_fraction);
    resign->set_target_false_rate(options.resign.target_false_rate);
  }
}

absl::StatusOr<SelfPlayOptions> SelfPlayOptionsFromRunConfig(
    const zerofleet::v1::RunConfig& config) {
  if (!config.has_rules() || !config.has_search()) {
    return absl::InvalidArgumentError("run config without rules or search settings");
  }
  SelfPlayOptions options;
  const zerofleet::v1::RulesConfig& rules = config.rules();
  // Sizes beyond int range are out of range either way; clamp before the range checks.
  options.rules.size = static_cast<int>(std::min<uint32_t>(rules.board_size(), 1000));
  options.rules.win_length = static_cast<int>(std::min<uint32_t>(rules.win_length(), 1000));
  switch (rules.rule()) {
    case zerofleet::v1::RULE_FREESTYLE:
      options.rules.rule = Rule::kFreestyle;
      break;
    case zerofleet::v1::RULE_STANDARD:
      options.rules.rule = Rule::kStandard;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("run config: unknown rule ", rules.rule()));
  }
  const zerofleet::v1::SearchConfig& s = config.search();
  SearchOptions& o = options.search;
  o.simulations = static_cast<int>(std::min<uint32_t>(s.simulations(), 1u << 30));
  o.leaves_per_game = static_cast<int>(std::min<uint32_t>(s.leaves_per_game(), 1u << 30));
  o.c_puct = s.c_puct();
  o.fpu_reduction = s.fpu_reduction();
  o.root_fpu_reduction = s.root_fpu_reduction();
  o.root_noise = s.root_noise();
  o.dirichlet_alpha = s.dirichlet_alpha();
  o.dirichlet_weight = s.dirichlet_weight();
  o.temperature = s.temperature();
  o.temperature_moves = s.temperature_moves();
  o.final_temperature = s.final_temperature();
  o.fast_move_fraction = s.fast_move_fraction();
  o.fast_simulations = static_cast<int>(std::min<uint32_t>(s.fast_simulations(), 1u << 30));
  o.reuse_tree = s.reuse_tree();
  o.forced_playouts = s.forced_playouts();
  options.parallel_games = static_cast<int>(std::min<uint32_t>(config.parallel_games(), 1u << 30));
  if (config.has_resign()) {
    const zerofleet::v1::ResignConfig& r = config.resign();
    options.resign.threshold = r.threshold();
    options.resign.consecutive = static_cast<int>(std::min<uint32_t>(r.consecutive(), 1u << 30));
    options.resign.no_resign_fraction = r.no_resign_fraction();
    options.resign.target_false_rate = r.target_false_rate();
  }
  if (absl::Status st = ValidateSelfPlayOptions(options); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("run config: ", st.message()));
  }
  return options;
}

}  // namespace zf
