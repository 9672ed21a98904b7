// The command table as declared (tools/zerofleet/cmd_*.cc): every command owns each flag once,
// every default lies in its declared range, and ranges are written and checked as documented.
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/zerofleet/cli.h"
#include "tools/zerofleet/commands.h"
#include "tools/zerofleet/flag_spec.h"

namespace zf::cli {
namespace {

using ::testing::HasSubstr;

TEST(CommandTable, EachCommandOwnsEachFlagOnce) {
  for (const Command& c : Commands()) {
    std::set<std::string> seen;
    for (const FlagSpec& f : c.flags)
      EXPECT_TRUE(seen.insert(std::string(f.name())).second) << c.name << ": " << f.name();
    EXPECT_FALSE(c.flags.empty()) << c.name;
  }
}

// A default outside its own range would make the command refuse to start without flags.
TEST(CommandTable, EveryDefaultIsInItsRange) {
  for (const Command& c : Commands()) {
    for (const char* preset : {"--preset=auto", "--preset=cpu", "--preset=gpu"}) {
      absl::FlagSaver restore;  // presets change defaults
      if (c.before_parse != nullptr) c.before_parse({"zerofleet", preset});
      for (const FlagSpec& f : c.flags) {
        EXPECT_TRUE(f.CheckRange().ok())
            << c.name << " " << preset << ": " << f.CheckRange().message();
      }
    }
  }
}

TEST(CommandTable, SharedFlagsKeepOneRangeAcrossCommands) {
  // The same flag may take another range only where a command reads it differently (the
  // actor's --parallel-games 0 = the learner's choice; the inference server's --board-size 0 =
  // any size; the arena caps parallel games lower; an actor runs at most 64 threads). Everything
  // else agrees.
  const std::set<std::string> differ = {"parallel_games", "board_size", "threads"};
  std::map<std::string, std::string> range_of;
  for (const Command& c : Commands()) {
    for (const FlagSpec& f : c.flags) {
      if (!f.range().has_value() || differ.count(std::string(f.name())) > 0) continue;
      auto [it, inserted] = range_of.emplace(std::string(f.name()), f.range()->ToString());
      EXPECT_EQ(it->second, f.range()->ToString()) << c.name << ": --" << f.name();
    }
  }
}

TEST(FlagRange, WritesItsBounds) {
  EXPECT_EQ(FlagRange::Between(1, 65535).ToString(), "1..65535");
  EXPECT_EQ(FlagRange::Between(1, 1 << 20).ToString(), "1..1048576");
  EXPECT_EQ(FlagRange::AtLeast(-1).ToString(), ">= -1");
  EXPECT_EQ(FlagRange::Positive().ToString(), "> 0");
  EXPECT_EQ(FlagRange::Positive(3600).ToString(), "(0, 3600]");
  EXPECT_EQ(FlagRange::BelowOne().ToString(), "[0, 1)");
  EXPECT_EQ((FlagRange{0, 0.5, true, true}).ToString(), "(0, 0.5)");
}

TEST(FlagRange, ExcludesOpenEndsAndNaN) {
  EXPECT_TRUE(FlagRange::BelowOne().Contains(0));
  EXPECT_FALSE(FlagRange::BelowOne().Contains(1));
  EXPECT_FALSE(FlagRange::Positive(3600).Contains(0));
  EXPECT_TRUE(FlagRange::Positive(3600).Contains(3600));
  EXPECT_FALSE(FlagRange::Between(0, 1).Contains(std::nan("")));
  EXPECT_FALSE(FlagRange::AtLeast(0).Contains(std::numeric_limits<double>::infinity()));
}

TEST(FlagSpec, ChecksTheCurrentValueAndNamesTheFlagAsTyped) {
  absl::FlagSaver restore;
  const FlagSpec sims(FLAGS_sims, FlagRange::Between(1, 1000000));
  absl::SetFlag(&FLAGS_sims, 400);
  EXPECT_TRUE(sims.CheckRange().ok());
  absl::SetFlag(&FLAGS_sims, 0);
  EXPECT_EQ(sims.CheckRange().message(), "--sims = 0 out of range: 1..1000000");
  const FlagSpec fraction(FLAGS_fast_move_fraction, FlagRange::BelowOne());
  absl::SetFlag(&FLAGS_fast_move_fraction, 1.0);
  EXPECT_EQ(fraction.CheckRange().message(), "--fast-move-fraction = 1 out of range: [0, 1)");
}

TEST(FlagSpec, HelpLineShowsHelpRangeAndDefault) {
  absl::FlagSaver restore;
  absl::SetFlag(&FLAGS_leaves_per_game, 4);
  const std::string line = FlagSpec(FLAGS_leaves_per_game, FlagRange::Between(1, 64)).HelpLine();
  EXPECT_THAT(line, HasSubstr("--leaves-per-game"));
  EXPECT_THAT(line, HasSubstr("virtual loss"));
  EXPECT_THAT(line, HasSubstr("(1..64; default: 4)"));
  EXPECT_THAT(FlagSpec(FLAGS_rule).HelpLine(), HasSubstr("(default: freestyle)"));
}

}  // namespace
}  // namespace zf::cli
