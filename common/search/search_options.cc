#include "common/search/search_options.h"

#include "absl/strings/str_cat.h"

namespace zf {

absl::Status ValidateSearchOptions(const SearchOptions& o) {
  auto bad = [](absl::string_view name, auto value, absl::string_view range) {
    return absl::InvalidArgumentError(absl::StrCat(name, " = ", value, " out of range: ", range));
  };
  if (o.simulations < 1 || o.simulations > 1000000)
    return bad("simulations", o.simulations, "1..1000000");
  if (o.leaves_per_game < 1 || o.leaves_per_game > 64) {
    return bad("leaves_per_game", o.leaves_per_game, "1..64");
  }
  if (!(o.c_puct > 0 && o.c_puct <= 100)) return bad("c_puct", o.c_puct, "(0, 100]");
  if (!(o.fpu_reduction >= 0 && o.fpu_reduction <= 2))
    return bad("fpu_reduction", o.fpu_reduction, "0..2");
  if (!(o.root_fpu_reduction >= 0 && o.root_fpu_reduction <= 2)) {
    return bad("root_fpu_reduction", o.root_fpu_reduction, "0..2");
  }
  if (!(o.dirichlet_weight >= 0 && o.dirichlet_weight <= 1)) {
    return bad("dirichlet_weight", o.dirichlet_weight, "0..1");
  }
  if (!(o.dirichlet_alpha >= 0 && o.dirichlet_alpha <= 100)) {
    return bad("dirichlet_alpha", o.dirichlet_alpha, "0..100 (0 = 10 / legal moves)");
  }
  if (!(o.temperature >= 0 && o.temperature <= 10))
    return bad("temperature", o.temperature, "0..10");
  if (!(o.final_temperature >= 0 && o.final_temperature <= 10)) {
    return bad("final_temperature", o.final_temperature, "0..10");
  }
  if (!(o.fast_move_fraction >= 0 && o.fast_move_fraction < 1)) {
    return bad("fast_move_fraction", o.fast_move_fraction, "0..1 (1 excluded)");
  }
  if (o.fast_simulations < 0 || o.fast_simulations > o.simulations) {
    return bad("fast_simulations", o.fast_simulations, "0..simulations");
  }
  if (!(o.forced_playouts >= 0 && o.forced_playouts <= 10)) {
    return bad("forced_playouts", o.forced_playouts, "0..10 (0 = off)");
  }
  return absl::OkStatus();
}

}  // namespace zf
