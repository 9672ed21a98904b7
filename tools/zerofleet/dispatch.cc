// The `zerofleet` command line: the subcommand table, help, flag parsing and dispatch. The
// mains (main.cc, main_learner.cc, main_actor.cc) only call RunMain.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/rpc/security_flags.h"
#include "common/util/allocator.h"
#include "common/util/command_line.h"
#include "tools/zerofleet/cli.h"
#include "tools/zerofleet/commands.h"
#include "tools/zerofleet/train_rating.h"

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
    std::vector<std::string> train_flags = {"run_dir",        "preset",        "net",
                                            "device",         "batch_size",    "games_per_iter",
                                            "num_iterations", "optimizer",     "lr",
                                            "weight_decay",   "ema_decay",     "warmup_steps",
                                            "replay_ratio",   "min_positions", "buffer_size",
                                            "replay_window",  "publish_every", "checkpoint_every",
                                            "precision",      "metrics_port",  "metrics_address"};
    for (const auto& f : RuleFlags()) train_flags.push_back(f);
    for (const auto& f : SearchFlags()) train_flags.push_back(f);
    for (const auto& f : ResignFlags()) train_flags.push_back(f);
    for (const auto& f : RatingFlags()) train_flags.push_back(f);
    c->push_back({"train", "train a model: self-play and learning in one process (resumable)",
                  "zerofleet train [--run-dir runs/gomoku] [--preset auto|cpu|gpu] [flags]",
                  train_flags, RunTrainCommand, ApplyTrainDefaults});
    std::vector<std::string> learner_flags = {"address", "port", "reflection", "max_submit_streams",
                                              "max_watch_streams"};
    for (const auto& f : train_flags) {
      if (f != "num_iterations") learner_flags.push_back(f);
    }
    for (const auto& f : SecurityFlagNames()) learner_flags.push_back(f);
    c->push_back({"learner",
                  "serve a training run to actors and inference servers over gRPC "
                  "(= zerofleet-learner)",
                  "zerofleet-learner [--run-dir DIR] [--port 50051] [--preset auto|cpu|gpu] "
                  "[run flags as for train]",
                  learner_flags, RunLearnerCommand, ApplyTrainDefaults});
    std::vector<std::string> actor_flags = {"learner", "inference",    "parallel_games",
                                            "threads", "actor_id",     "max_games",
                                            "seed",    "metrics_port", "metrics_address"};
    for (const auto& f : SecurityFlagNames()) actor_flags.push_back(f);
    c->push_back({"actor",
                  "play self-play games for a learner, evaluated by inference servers "
                  "(= zerofleet-actor)",
                  "zerofleet-actor --learner HOST:PORT --inference HOST:PORT[,HOST:PORT...]",
                  actor_flags, RunActorCommand, ApplyActorDefaults});
    std::vector<std::string> play_flags = RuleFlags();
    for (const char* f : {"model", "device", "color", "sims", "move_time", "leaves_per_game",
                          "c_puct", "fpu_reduction", "seed"}) {
      play_flags.push_back(f);
    }
    std::vector<std::string> inference_flags = {"address",
                                                "port",
                                                "model",
                                                "net",
                                                "seed",
                                                "device",
                                                "board_size",
                                                "null_model",
                                                "learner",
                                                "max_batch",
                                                "max_queue_delay_us",
                                                "batch_workers",
                                                "max_in_flight_per_stream",
                                                "max_queued_positions",
                                                "reflection",
                                                "metrics_port",
                                                "metrics_address"};
    for (const auto& f : SecurityFlagNames()) inference_flags.push_back(f);
    c->push_back({"inference-server",
                  "evaluate leaf batches for actors over gRPC (= zerofleet-inference-server)",
                  "zerofleet-inference-server [--port P] [--learner HOST:PORT] [--model FILE | "
                  "--net tiny|small|base | --null-model] [--max-batch N] [--metrics-port M]",
                  inference_flags, RunInferenceServerCommand, ApplyInferenceServerDefaults});
    c->push_back({"play", "play against a model in the terminal",
                  "zerofleet play [--model FILE|uniform|random] [--color white] "
                  "[--sims S | --move-time SECONDS]",
                  play_flags, RunPlayCommand});
    std::vector<std::string> evaluate_flags = RuleFlags();
    for (const char* f : {"model1",
                          "model2",
                          "games",
                          "sims",
                          "openings",
                          "sample_moves",
                          "sprt_elo0",
                          "sprt_elo1",
                          "sprt_alpha",
                          "sprt_beta",
                          "opponent_cmd",
                          "opponent_turn_ms",
                          "opponent_grace_ms",
                          "opponent_parallel",
                          "parallel_games",
                          "leaves_per_game",
                          "c_puct",
                          "fpu_reduction",
                          "device",
                          "save",
                          "psq_dir",
                          "seed",
                          "json"}) {
      evaluate_flags.push_back(f);
    }
    c->push_back({"evaluate", "rate two players: W/D/L, Elo with 95% interval, optional SPRT",
                  "zerofleet evaluate --model1 A --model2 B|random|uniform [--games N] "
                  "[--sims S] [--opponent-cmd ENGINE]",
                  evaluate_flags, RunEvaluateCommand});
    c->push_back({"ratings",
                  "a run's strength: every rated version's Elo with 95% interval (refit from "
                  "all rating games), anchors, history",
                  "zerofleet ratings RUN_DIR [--json]",
                  {"json"},
                  RunRatingsCommand});
    std::vector<std::string> bench_flags = {"json",       "seconds", "nets",        "batches",
                                            "precisions", "device",  "pad_batches", "recommend"};
    for (const auto& f : RuleFlags()) bench_flags.push_back(f);
    for (const auto& f : SearchFlags()) bench_flags.push_back(f);
    c->push_back({"bench",
                  "measure this machine: search (tree alone), rules, nn (network alone), "
                  "selfplay (with the network, vs its ceiling), transport (gRPC inference server)",
                  "zerofleet bench search|rules|nn|selfplay|transport [--json] [--seconds S]",
                  bench_flags, RunBenchCommand});
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
  for (const Command& c : Commands())
    std::printf("  %-10s %s\n", c.name.c_str(), c.summary.c_str());
  std::printf("\n`zerofleet <command> --help` lists a command's flags.\n");
}

std::string Dashed(std::string name) {
  for (char& ch : name) ch = ch == '_' ? '-' : ch;
  return name;
}

// The defaults shown are this command's: after its presets (before_parse) on this machine.
void PrintCommandHelp(const Command& c, const std::vector<std::string>& args) {
  if (c.before_parse != nullptr) c.before_parse(args);
  std::printf("%s\n\n%s\n\nflags:\n", c.usage.c_str(), c.summary.c_str());
  for (const std::string& name : c.flags) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) {  // a bug in the table; tests/cli checks every command's help
      std::printf("  --%-22s (undeclared flag)\n", Dashed(name).c_str());
      continue;
    }
    const std::string value = flag->CurrentValue();
    std::printf("  --%-22s %s (default: %s)\n", Dashed(name).c_str(), flag->Help().c_str(),
                value.empty() ? "\"\"" : value.c_str());
  }
}

// "--name=value", "--name" or "--noname" (a boolean) must name a flag `c` lists.
absl::Status CheckOwnedFlags(const Command& c, const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;  // the rest are positionals
    if (a.size() < 3 || a[0] != '-' || a[1] != '-') continue;
    const std::string name = a.substr(2, a.find('=') - 2);
    auto owned = [&c](const std::string& n) {
      return std::find(c.flags.begin(), c.flags.end(), n) != c.flags.end();
    };
    if (owned(name)) continue;
    if (name.rfind("no", 0) == 0 && owned(name.substr(2))) continue;
    return absl::InvalidArgumentError(
        absl::StrCat("--", Dashed(name), " is not a flag of `", c.name, "` (see its --help)"));
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace zf::cli

namespace zf::cli {

int RunMain(int argc, char** argv, const char* command_name) {
  KeepFreedMemoryForReuse();  // tensors' memory is reused, not faulted in again per batch
  if (argc > 0) {
    const absl::string_view self = argv[0];
    SetProgramName(self.substr(self.rfind('/') + 1));
  }
  absl::SetProgramUsageMessage("zerofleet <command> [flags]; see `zerofleet --help`");
  // zerofleet <command> [flags...], or a fixed command: <binary> [flags...].
  int first_flag = 1;
  if (command_name == nullptr) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
        !std::strcmp(argv[1], "help")) {
      PrintMainHelp();
      return argc < 2 ? 2 : 0;
    }
    command_name = argv[1];
    first_flag = 2;
  }
  const Command* command = nullptr;
  for (const auto& c : Commands()) {
    if (c.name == command_name) command = &c;
  }
  if (command == nullptr) {
    return Fail(absl::StrCat("unknown command '", command_name, "' (see zerofleet --help)"));
  }
  std::vector<std::string> normalised = {argv[0]};
  for (int i = first_flag; i < argc; ++i) normalised.push_back(NormaliseFlagName(argv[i]));
  for (int i = first_flag; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      PrintCommandHelp(*command, normalised);
      return 0;
    }
  }
  if (absl::Status s = CheckOwnedFlags(*command, normalised); !s.ok()) return Fail(s);
  if (command->before_parse != nullptr) command->before_parse(normalised);
  std::vector<char*> args;
  for (auto& s : normalised) args.push_back(s.data());
  std::vector<char*> rest = absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  std::vector<std::string> positional(rest.begin() + 1, rest.end());
  return command->run(positional);
}

}  // namespace zf::cli
