// Settings of one PUCT search (per game). Implemented in search_options.cc.
#ifndef ZEROFLEET_COMMON_SEARCH_SEARCH_OPTIONS_H_
#define ZEROFLEET_COMMON_SEARCH_SEARCH_OPTIONS_H_

#include "absl/status/status.h"

namespace zf {

struct SearchOptions {
  // Playouts per move (new root visits; reused ones come on top).
  int simulations = 400;
  // Leaves one tree hands out per round, kept apart by virtual loss. Few is better at equal
  // visits (see docs/DESIGN notes); many games give the batch instead.
  int leaves_per_game = 1;
  float c_puct = 1.5f;
  // First-play urgency: an unvisited child is valued at the parent's value minus
  // reduction * sqrt(policy mass of visited children).
  float fpu_reduction = 0.2f;
  float root_fpu_reduction = 0.0f;
  // Root Dirichlet noise (self-play only). alpha <= 0 means 10 / number of legal moves.
  bool root_noise = false;
  float dirichlet_alpha = 0.0f;
  float dirichlet_weight = 0.25f;
  // Temperature: `temperature` for the first `temperature_moves` moves of a game (< 0 means
  // the board size), then `final_temperature` (0 = most visited move).
  float temperature = 1.0f;
  int temperature_moves = -1;
  float final_temperature = 0.0f;
  // Playout cap randomization: this fraction of moves gets `fast_simulations` playouts, no
  // noise, and is not a training target.
  float fast_move_fraction = 0.0f;
  int fast_simulations = 0;  // 0 = simulations / 8 (at least 2)
  // KataGo's forced playouts (its k = 2; 0 = off): while root noise is on, a visited root child
  // gets at least sqrt(k * prior * root visits) visits, and the policy target (and the move
  // choice) prune those visits back where the search would not have spent them anyway.
  float forced_playouts = 0.0f;
  // Keep the chosen child's subtree as the next root.
  bool reuse_tree = true;

  int EffectiveFastSimulations() const {
    return fast_simulations > 0 ? fast_simulations : (simulations / 8 > 2 ? simulations / 8 : 2);
  }
};

// Range checks; the error names the field and the allowed range.
absl::Status ValidateSearchOptions(const SearchOptions& options);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_SEARCH_SEARCH_OPTIONS_H_
