// `zerofleet play`: a human against a model in the terminal (tools/play/play_session.h).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tools/play/evaluator_factory.h"
#include "tools/play/play_session.h"
#include "tools/play/player_spec.h"
#include "tools/zerofleet/cli.h"
#include "tools/zerofleet/commands.h"

ABSL_FLAG(std::string, model, "uniform",
          "Opponent: a model file, or uniform (search without knowledge), random, seeded:N");
ABSL_FLAG(std::string, color, "black", "Your colour: black (X, moves first) or white (O)");
ABSL_FLAG(double, move_time, 0,
          "Seconds the model thinks per move; 0 = a fixed number of playouts (--sims)");

namespace zf::cli {

namespace {

int RunPlayCommand(const std::vector<std::string>& args) {
  if (!args.empty()) return Fail(absl::StrCat("unexpected argument '", args[0], "'"));
  absl::StatusOr<Rules> rules = RulesFromFlags();
  if (!rules.ok()) return Fail(rules.status());
  absl::StatusOr<SearchOptions> search = SearchOptionsFromFlags();
  if (!search.ok()) return Fail(search.status());

  play::PlaySessionOptions options;
  options.rules = *rules;
  options.search.search = *search;
  options.search.search.root_noise = false;  // play its best, not self-play exploration
  options.search.leaves_per_round = search->leaves_per_game;
  options.search.seed = absl::GetFlag(FLAGS_seed);
  options.playouts = search->simulations;
  options.move_time = absl::Seconds(absl::GetFlag(FLAGS_move_time));  // 0..3600: PlayCommand()
  const std::string color = absl::AsciiStrToLower(absl::GetFlag(FLAGS_color));
  if (color == "black" || color == "x" || color == "b") {
    options.human = Player::kBlack;
  } else if (color == "white" || color == "o" || color == "w") {
    options.human = Player::kWhite;
  } else {
    return Fail(absl::StrCat("--color: unknown colour '", color, "' (black or white)"));
  }
  const std::string model = absl::GetFlag(FLAGS_model);
  absl::StatusOr<play::PlayerSpec> spec = play::ParsePlayerSpec(model);
  if (!spec.ok()) return Fail(absl::StrCat("--model: ", spec.status().message()));
  absl::StatusOr<std::unique_ptr<Evaluator>> evaluator =
      play::MakeEvaluator(model, absl::GetFlag(FLAGS_device));
  if (!evaluator.ok()) return Fail(absl::StrCat("--model: ", evaluator.status().message()));
  options.random_moves = spec->kind == play::SpecKind::kRandom;
  options.model_name = spec->kind == play::SpecKind::kModelFile ? "zerofleet" : spec->name;
  options.tty = isatty(STDOUT_FILENO) == 1;

  play::PlaySession session(options, evaluator->get(), std::cin, std::cout);
  if (absl::Status s = session.Run(); !s.ok()) return Fail(s);
  return 0;
}

}  // namespace

Command PlayCommand() {
  return {"play", "play against a model in the terminal",
          "zerofleet play [--model FILE|uniform|random] [--color white] "
          "[--sims S | --move-time SECONDS]",
          Concat({RuleFlags(),
                  MoveSearchFlags(),
                  {FLAGS_model,
                   FLAGS_device,
                   FLAGS_color,
                   {FLAGS_move_time, FlagRange::Between(0, 3600)},
                   FLAGS_seed}}),
          RunPlayCommand};
}

}  // namespace zf::cli
