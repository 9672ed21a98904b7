// The `zerofleet` command line: the subcommand table, help, flag parsing and dispatch. Each
// command declares itself in its own file (commands.h); the mains only call RunMain.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/util/allocator.h"
#include "common/util/command_line.h"
#include "tools/zerofleet/cli.h"
#include "tools/zerofleet/commands.h"

namespace zf::cli {

const std::vector<Command>& Commands() {
  static const std::vector<Command>* const commands =
      new std::vector<Command>{SelfPlayCommand(), TrainCommand(),           LearnerCommand(),
                               ActorCommand(),    InferenceServerCommand(), PlayCommand(),
                               EvaluateCommand(), RatingsCommand(),         BenchCommand()};
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

// The defaults shown are this command's: after its presets (before_parse) on this machine.
void PrintCommandHelp(const Command& c, const std::vector<std::string>& args) {
  if (c.before_parse != nullptr) c.before_parse(args);
  std::printf("%s\n\n%s\n\nflags:\n", c.usage.c_str(), c.summary.c_str());
  for (const FlagSpec& flag : c.flags) std::printf("%s\n", flag.HelpLine().c_str());
}

// "--name=value", "--name" or "--noname" (a boolean) must name a flag `c` lists.
absl::Status CheckOwnedFlags(const Command& c, const std::vector<std::string>& args) {
  auto owned = [&c](absl::string_view n) {
    return std::any_of(c.flags.begin(), c.flags.end(),
                       [&n](const FlagSpec& f) { return f.name() == n; });
  };
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;  // the rest are positionals
    if (a.size() < 3 || a[0] != '-' || a[1] != '-') continue;
    const std::string name = a.substr(2, a.find('=') - 2);
    if (owned(name)) continue;
    if (name.rfind("no", 0) == 0 && owned(name.substr(2))) continue;
    return absl::InvalidArgumentError(
        absl::StrCat("--", Dashed(name), " is not a flag of `", c.name, "` (see its --help)"));
  }
  return absl::OkStatus();
}

}  // namespace

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
  for (const FlagSpec& flag : command->flags) {
    if (absl::Status s = flag.CheckRange(); !s.ok()) return Fail(s);
  }
  std::vector<std::string> positional(rest.begin() + 1, rest.end());
  return command->run(positional);
}

}  // namespace zf::cli
