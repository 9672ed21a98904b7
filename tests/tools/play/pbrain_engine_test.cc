// The pbrain protocol engine, driven in-process through string streams.
#include "tools/play/pbrain_engine.h"

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace zf::play {
namespace {

PbrainEngineOptions FastOptions() {
  PbrainEngineOptions o;
  o.max_playouts = 300;
  return o;
}

class Session {
 public:
  explicit Session(const PbrainEngineOptions& options = FastOptions())
      : engine_(options, &uniform_) {}

  // Sends `line` (plus `more`, the lines BOARD reads); returns the reply lines without DEBUG.
  std::vector<std::string> Send(const std::string& line, const std::string& more = "") {
    std::istringstream in(more);
    std::ostringstream out;
    alive_ = engine_.HandleLine(line, in, out);
    std::vector<std::string> lines;
    for (absl::string_view l : absl::StrSplit(out.str(), '\n', absl::SkipEmpty())) {
      if (!absl::StartsWith(l, "DEBUG")) lines.emplace_back(l);
    }
    return lines;
  }
  // Sends and expects exactly one reply line.
  std::string One(const std::string& line, const std::string& more = "") {
    std::vector<std::string> lines = Send(line, more);
    EXPECT_EQ(lines.size(), 1u) << "after " << line;
    return lines.empty() ? "" : lines.back();
  }

  PbrainEngine& engine() { return engine_; }
  bool alive() const { return alive_; }

 private:
  UniformEvaluator uniform_;
  PbrainEngine engine_;
  bool alive_ = true;
};

// "x,y" -> point on a board of `size`, or -1.
int ParseReply(const std::string& reply, int size) {
  std::vector<std::string> parts = absl::StrSplit(reply, ',');
  int x, y;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &x) || !absl::SimpleAtoi(parts[1], &y)) {
    return -1;
  }
  if (x < 0 || x >= size || y < 0 || y >= size) return -1;
  return y * size + x;
}

TEST(PbrainEngineTest, StartAboutAndEnd) {
  Session s;
  EXPECT_TRUE(absl::StartsWith(s.One("START 30"), "ERROR unsupported board size 30"));
  EXPECT_TRUE(absl::StartsWith(s.One("START x"), "ERROR"));
  EXPECT_TRUE(absl::StartsWith(s.One("RECTSTART 15,20"), "ERROR"));
  EXPECT_EQ(s.One("START 15"), "OK");
  EXPECT_EQ(s.One("RECTSTART 20,20"), "OK");
  EXPECT_EQ(s.engine().rules().size, 20);
  const std::string about = s.One("ABOUT");
  EXPECT_TRUE(absl::StartsWith(about, "name=\"zerofleet\", version=\"")) << about;
  EXPECT_NE(about.find("author="), std::string::npos);
  EXPECT_NE(about.find("country="), std::string::npos);
  EXPECT_TRUE(s.Send("END").empty());
  EXPECT_FALSE(s.alive());
}

TEST(PbrainEngineTest, PlaysAFullGameToTheEnd) {
  // The opponent plays the first empty point in reading order; the engine must answer every
  // TURN with a legal move until the game ends, and then refuse further turns.
  Session s;
  ASSERT_EQ(s.One("START 9"), "OK");
  GameState mirror(Rules{9, 5, Rule::kFreestyle});
  while (!mirror.IsTerminal()) {
    int ours = 0;
    while (!mirror.IsLegal(ours)) ++ours;
    ASSERT_TRUE(mirror.Play(ours).ok());
    const std::string turn = "TURN " + std::to_string(ours % 9) + "," + std::to_string(ours / 9);
    if (mirror.IsTerminal()) {
      EXPECT_TRUE(absl::StartsWith(s.One(turn), "ERROR")) << "a TURN that ends the game";
      break;
    }
    const int reply = ParseReply(s.One(turn), 9);
    ASSERT_TRUE(mirror.IsLegal(reply)) << "illegal reply at move " << mirror.move_count();
    ASSERT_TRUE(mirror.Play(reply).ok());
  }
  EXPECT_TRUE(mirror.IsTerminal());
  EXPECT_TRUE(s.engine().state().IsTerminal());
  EXPECT_TRUE(absl::StartsWith(s.One("TURN 8,8"), "ERROR"));
  // A new game on the same engine.
  EXPECT_EQ(s.One("RESTART"), "OK");
  EXPECT_GE(ParseReply(s.One("BEGIN"), 9), 0);
  EXPECT_EQ(s.engine().state().move_count(), 1);
}

TEST(PbrainEngineTest, MalformedLinesGetErrorsAndTheEngineCarriesOn) {
  Session s;
  EXPECT_TRUE(absl::StartsWith(s.One("BEGIN"), "ERROR"));  // before START
  EXPECT_TRUE(absl::StartsWith(s.One("TURN 1,1"), "ERROR"));
  ASSERT_EQ(s.One("START 15"), "OK");
  EXPECT_TRUE(absl::StartsWith(s.One("TURN abc"), "ERROR"));
  EXPECT_TRUE(absl::StartsWith(s.One("TURN 7"), "ERROR"));
  EXPECT_TRUE(absl::StartsWith(s.One("TURN 99,99"), "ERROR"));
  EXPECT_TRUE(absl::StartsWith(s.One("TURN -1,3"), "ERROR"));
  EXPECT_TRUE(absl::StartsWith(s.One("TAKEBACK 3,3"), "ERROR"));
  EXPECT_EQ(s.One("FOO bar"), "UNKNOWN FOO bar");
  EXPECT_TRUE(s.Send("").empty());
  EXPECT_TRUE(s.Send("INFO nonsense_key 12").empty());
  EXPECT_EQ(s.engine().state().move_count(), 0);
  // Still fine: a real move gets a real answer, and an occupied point is refused.
  const int reply = ParseReply(s.One("TURN 7, 7"), 15);
  ASSERT_GE(reply, 0);
  EXPECT_NE(reply, 7 * 15 + 7);
  EXPECT_TRUE(absl::StartsWith(s.One("TURN 7,7"), "ERROR"));
  const std::string x = std::to_string(reply % 15), y = std::to_string(reply / 15);
  EXPECT_TRUE(absl::StartsWith(s.One("TURN " + x + "," + y), "ERROR"));
  EXPECT_EQ(s.engine().state().move_count(), 2);
  EXPECT_TRUE(absl::StartsWith(s.One("BEGIN"), "ERROR"));  // stones on the board
}

TEST(PbrainEngineTest, BoardInAnyOrderAndTheEngineCompletesItsFive) {
  Session s;
  ASSERT_EQ(s.One("START 15"), "OK");
  // Own stones (3..6, 7) with both ends open; opponent stones far away; shuffled.
  const std::string board = "12,0,2\n5,7,1\n0,14,2\n3,7,1\n14,14,2\n6,7,1\n0,0,2\n4,7,1\nDONE\n";
  const int reply = ParseReply(s.One("BOARD", board), 15);
  EXPECT_TRUE(reply == 7 * 15 + 2 || reply == 7 * 15 + 7) << reply;
  EXPECT_TRUE(s.engine().state().IsTerminal());
  EXPECT_EQ(s.engine().state().outcome(), Outcome::kBlackWin);  // equal counts: we were black
}

TEST(PbrainEngineTest, BoardAsWhite) {
  Session s;
  ASSERT_EQ(s.One("START 15"), "OK");
  const int reply = ParseReply(s.One("BOARD", "7,7,2\n8,8,1\n9,9,2\nDONE\n"), 15);
  ASSERT_GE(reply, 0);
  EXPECT_EQ(s.engine().state().move_count(), 4);
  EXPECT_EQ(s.engine().state().at(reply), Cell::kWhite);
  EXPECT_EQ(s.engine().state().at(7, 7), Cell::kBlack);
}

TEST(PbrainEngineTest, BadBoardsAreRefusedAndChangeNothing) {
  Session s;
  ASSERT_EQ(s.One("START 15"), "OK");
  ASSERT_GE(ParseReply(s.One("TURN 7,7"), 15), 0);
  EXPECT_TRUE(absl::StartsWith(s.One("BOARD", "1,1,3\nDONE\n"), "ERROR BOARD field 3"));
  EXPECT_TRUE(absl::StartsWith(s.One("BOARD", "1,1,1\n1,1,2\nDONE\n"), "ERROR"));
  EXPECT_TRUE(absl::StartsWith(s.One("BOARD", "1,1,1\n2,2,1\n3,3,1\nDONE\n"), "ERROR"));
  EXPECT_TRUE(absl::StartsWith(s.One("BOARD", "1,1\nDONE\n"), "ERROR"));
  EXPECT_TRUE(absl::StartsWith(s.One("BOARD", "1,1,7\nDONE\n"), "ERROR"));
  EXPECT_TRUE(absl::StartsWith(s.One("BOARD", "20,1,1\nDONE\n"), "ERROR"));
  // A finished position: five opponent stones and four of ours.
  EXPECT_TRUE(absl::StartsWith(
      s.One("BOARD", "0,0,2\n1,0,2\n2,0,2\n3,0,2\n4,0,2\n0,5,1\n2,5,1\n4,5,1\n6,5,1\nDONE\n"),
      "ERROR"));
  EXPECT_EQ(s.engine().state().move_count(), 2);  // the game before the bad BOARDs
  EXPECT_EQ(s.engine().state().at(7, 7), Cell::kBlack);
}

TEST(PbrainEngineTest, AcceptsCrlf) {
  Session s;
  EXPECT_EQ(s.One("START 15\r"), "OK");
  EXPECT_GE(ParseReply(s.One("TURN 7,7\r"), 15), 0);
  EXPECT_EQ(s.One("RESTART\r"), "OK");
  EXPECT_GE(ParseReply(s.One("BOARD\r", "7,7,2\r\n8,7,1\r\n6,6,2\r\nDONE\r\n"), 15), 0);
  EXPECT_EQ(s.engine().state().move_count(), 4);
  EXPECT_TRUE(s.Send("end\r").empty());
  EXPECT_FALSE(s.alive());
}

TEST(PbrainEngineTest, Takeback) {
  Session s;
  ASSERT_EQ(s.One("START 15"), "OK");
  const int ours = ParseReply(s.One("BEGIN"), 15);
  ASSERT_GE(ours, 0);
  const int other = ours == 0 ? 1 : 0;
  ASSERT_GE(ParseReply(s.One("TURN " + std::to_string(other) + ",0"), 15), 0);
  ASSERT_EQ(s.engine().state().move_count(), 3);
  const int last = s.engine().state().last_move();
  EXPECT_EQ(s.One("TAKEBACK " + std::to_string(last % 15) + "," + std::to_string(last / 15)), "OK");
  EXPECT_EQ(s.One("TAKEBACK " + std::to_string(other) + ",0"), "OK");
  EXPECT_EQ(s.engine().state().move_count(), 1);
  EXPECT_EQ(s.engine().state().at(ours), Cell::kBlack);
  // Our stone alone again: the opponent's turn.
  EXPECT_GE(ParseReply(s.One("TURN " + std::to_string(other) + ",0"), 15), 0);
}

TEST(PbrainEngineTest, InfoSetsRulesTimeAndMemory) {
  Session s;
  ASSERT_EQ(s.One("START 15"), "OK");
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  // Default turn time (5 s) minus 10%.
  EXPECT_EQ(s.engine().MoveLimits(t0).deadline, t0 + absl::Milliseconds(4500));
  EXPECT_TRUE(s.Send("INFO timeout_turn 500").empty());
  EXPECT_EQ(s.engine().MoveLimits(t0).deadline, t0 + absl::Milliseconds(440));  // 60 ms margin
  EXPECT_TRUE(s.Send("INFO timeout_turn 0").empty());
  EXPECT_EQ(s.engine().MoveLimits(t0).deadline, t0);  // as fast as possible: one round
  // A match clock: at most time_left / 15.
  s.Send("INFO timeout_turn 30000");
  s.Send("INFO timeout_match 180000");
  s.Send("INFO time_left 15000");
  EXPECT_EQ(s.engine().MoveLimits(t0).deadline, t0 + absl::Milliseconds(1000 - 100));
  // Memory caps the playouts; max_playouts caps them further.
  s.Send("INFO max_memory 3664000");
  EXPECT_EQ(s.engine().MoveLimits(t0).playouts, 300);  // max_playouts of FastOptions
  s.Send("INFO max_memory 366400");
  EXPECT_EQ(s.engine().MoveLimits(t0).playouts, 100);   // 366400 / 3664
  EXPECT_TRUE(s.Send("INFO max_memory lots").empty());  // only a DEBUG note, which Send drops
  EXPECT_EQ(s.engine().MoveLimits(t0).playouts, 100);
  // Rule bit 0: exactly five.
  EXPECT_TRUE(s.Send("INFO rule 1").empty());
  EXPECT_EQ(s.engine().rules().rule, Rule::kStandard);
  EXPECT_EQ(s.One("INFO rule 4"), "MESSAGE renju is not supported; playing gomoku rules");
  EXPECT_EQ(s.engine().rules().rule, Rule::kFreestyle);
  EXPECT_TRUE(s.Send("INFO game_type 1").empty());
  EXPECT_TRUE(s.Send("INFO thread_num 4").empty());
  EXPECT_TRUE(s.Send("INFO folder /tmp").empty());
}

// Uniform, but each call takes 2 ms: a search that only a deadline can end in time.
class SlowEvaluator : public Evaluator {
 public:
  absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                        absl::Span<float> value) override {
    absl::SleepFor(absl::Milliseconds(2));
    ++calls;
    return uniform_.Evaluate(batch, policy, value);
  }
  int calls = 0;

 private:
  UniformEvaluator uniform_;
};

TEST(PbrainEngineTest, RespectsTheTurnTime) {
  // Time-limited only (no playout cap that could end the search first): the reply must come
  // within the limit. Loose bound (2x) because CI machines are slow and shared.
  SlowEvaluator slow;
  PbrainEngine engine(PbrainEngineOptions{}, &slow);
  std::istringstream in;
  std::ostringstream out;
  engine.HandleLine("START 15", in, out);
  engine.HandleLine("INFO timeout_turn 500", in, out);
  const absl::Time start = absl::Now();
  engine.HandleLine("BEGIN", in, out);
  const absl::Duration took = absl::Now() - start;
  EXPECT_LT(took, absl::Milliseconds(1000));
  EXPECT_GT(slow.calls, 10);  // it did think until close to the deadline
  EXPECT_EQ(engine.state().move_count(), 1);
  EXPECT_NE(out.str().find("OK\n"), std::string::npos);
}

TEST(PbrainEngineTest, StartupMessageAndError) {
  PbrainEngineOptions options = FastOptions();
  options.startup_message = "zerofleet: no model found";
  Session s(options);
  EXPECT_EQ(s.Send("START 15"),
            (std::vector<std::string>{"OK", "MESSAGE zerofleet: no model found"}));
  EXPECT_EQ(s.Send("START 15"), (std::vector<std::string>{"OK"}));
  options.startup_error = "cannot load model: bad magic";
  Session broken(options);
  EXPECT_EQ(broken.One("START 15"), "ERROR cannot load model: bad magic");
}

TEST(PbrainEngineTest, RunServesAScriptUntilEnd) {
  UniformEvaluator uniform;
  // The engine is deterministic: learn its first move, then answer somewhere else.
  Session probe;
  probe.One("START 15");
  const std::string turn = ParseReply(probe.One("BEGIN"), 15) == 0 ? "TURN 1,1" : "TURN 0,0";
  PbrainEngine engine(FastOptions(), &uniform);
  std::istringstream in("START 15\r\nBEGIN\r\n" + turn + "\r\nEND\r\nSTART 15\r\n");
  std::ostringstream out;
  engine.Run(in, out);
  std::vector<std::string> lines;
  for (absl::string_view l : absl::StrSplit(out.str(), '\n', absl::SkipEmpty())) {
    if (!absl::StartsWith(l, "DEBUG")) lines.emplace_back(l);
  }
  ASSERT_EQ(lines.size(), 3u);  // OK, two moves; nothing after END
  EXPECT_EQ(lines[0], "OK");
  EXPECT_GE(ParseReply(lines[1], 15), 0);
  EXPECT_GE(ParseReply(lines[2], 15), 0);
}

}  // namespace
}  // namespace zf::play
