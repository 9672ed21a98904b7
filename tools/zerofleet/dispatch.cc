// zerofleet: the user-facing CLI. A thin main: find the subcommand, parse flags, run it.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/util/command_line.h"
#include "tools/zerofleet/cli.h"
#include "tools/zerofleet/commands.h"

namespace zf::cli {

const std::vector<Command>& Commands() {
  static const std::vector<Command>* const commands = [] {
    auto* c = new std::vector<Command>;
    std::vector<std::string> selfplay_flags = RuleFlags();
    for (const auto& f : SearchFlags()) selfplay_flags.push_back(f);
    for (const char* f : {"games", "evaluator", "out", "show"}) selfplay_flags.push_back(f);
    c->push_back({"selfplay", "play self-play games and print one (a demo of the search)",
                  "zerofleet selfplay [--games N] [--sims S] [--out games.zfgr]", selfplay_flags,
                  RunSelfPlayCommand});
    std::vector<std::string> train_flags = {
        "run_dir", "preset", "net", "device", "batch_size", "games_per_iter", "num_iterations",
        "optimizer", "lr", "weight_decay", "warmup_steps", "replay_ratio", "min_positions",
        "buffer_size", "publish_every", "checkpoint_every", "precision", "metrics_port",
        "metrics_address"};
    for (const auto& f : RuleFlags()) train_flags.push_back(f);
    for (const auto& f : SearchFlags()) train_flags.push_back(f);
    c->push_back({"train", "train a model: self-play and learning in one process (resumable)",
                  "zerofleet train [--run-dir runs/gomoku] [--preset auto|cpu|gpu] [flags]",
                  train_flags, RunTrainCommand, ApplyTrainDefaults});
    std::vector<std::string> play_flags = RuleFlags();
    for (const char* f : {"model", "device", "color", "sims", "move_time", "leaves_per_game",
                          "c_puct", "fpu_reduction", "seed"}) {
      play_flags.push_back(f);
    }
    c->push_back({"play", "play against a model in the terminal",
                  "zerofleet play [--model FILE|uniform|random] [--color white] "
                  "[--sims S | --move-time SECONDS]",
                  play_flags, RunPlayCommand});
    std::vector<std::string> evaluate_flags = RuleFlags();
    for (const char* f :
         {"model1", "model2", "games", "sims", "openings", "sample_moves", "sprt_elo0",
          "sprt_elo1", "sprt_alpha", "sprt_beta", "opponent_cmd", "opponent_turn_ms",
          "opponent_grace_ms", "opponent_parallel", "parallel_games", "leaves_per_game",
          "c_puct", "fpu_reduction", "device", "save", "psq_dir", "seed", "json"}) {
      evaluate_flags.push_back(f);
    }
    c->push_back({"evaluate", "rate two players: W/D/L, Elo with 95% interval, optional SPRT",
                  "zerofleet evaluate --model1 A --model2 B|random|uniform [--games N] "
                  "[--sims S] [--opponent-cmd ENGINE]",
                  evaluate_flags, RunEvaluateCommand});
    std::vector<std::string> bench_flags = {"json", "seconds", "nets", "device"};
    for (const auto& f : RuleFlags()) bench_flags.push_back(f);
    for (const auto& f : SearchFlags()) bench_flags.push_back(f);
    c->push_back({"bench",
                  "measure this machine: search (tree alone), rules, nn (network alone), "
                  "selfplay (with the network, vs its ceiling), transport (gRPC inference server)",
                  "zerofleet bench search|rules|nn|selfplay|transport [--json] [--seconds S]",
                  bench_flags,
                  RunBenchCommand});
    return c;
  }();
  return *commands;
}

namespace {

void PrintMainHelp() {
  std::printf(
      "zerofleet: AlphaZero-style Gomoku trainer\n\n"
      "usage: zerofleet <command> [flags]   (flags: --name=value or --name value;\n"
      "       dashes or underscores in names)\n\ncommands:\n");
  for (const Command& c : Commands()) std::printf("  %-10s %s\n", c.name.c_str(), c.summary.c_str());
  std::printf("\n`zerofleet <command> --help` lists a command's flags.\n");
}

void PrintCommandHelp(const Command& c) {
  std::printf("%s\n\n%s\n\nflags:\n", c.usage.c_str(), c.summary.c_str());
  for (const std::string& name : c.flags) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) continue;
    std::string dashed = name;
    for (char& ch : dashed) ch = ch == '_' ? '-' : ch;
    std::printf("  --%-22s %s (default: %s)\n", dashed.c_str(), flag->Help().c_str(),
                flag->DefaultValue().empty() ? "\"\"" : flag->DefaultValue().c_str());
  }
}

}  // namespace
}  // namespace zf::cli

int main(int argc, char** argv) {
  using zf::cli::Commands;
  absl::SetProgramUsageMessage("zerofleet <command> [flags]; see `zerofleet --help`");
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    zf::cli::PrintMainHelp();
    return argc < 2 ? 2 : 0;
  }
  const zf::cli::Command* command = nullptr;
  for (const auto& c : Commands()) {
    if (c.name == argv[1]) command = &c;
  }
  if (command == nullptr) {
    return zf::cli::Fail(absl::StrCat("unknown command '", argv[1], "' (see zerofleet --help)"));
  }
  std::vector<std::string> normalised = {argv[0]};
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      zf::cli::PrintCommandHelp(*command);
      return 0;
    }
    normalised.push_back(zf::NormaliseFlagName(argv[i]));
  }
  if (command->before_parse != nullptr) command->before_parse(normalised);
  std::vector<char*> args;
  for (auto& s : normalised) args.push_back(s.data());
  std::vector<char*> rest = absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  std::vector<std::string> positional(rest.begin() + 1, rest.end());
  return command->run(positional);
}
