// `zerofleet play`'s session, scripted through string streams.
#include "tools/play/play_session.h"

#include <algorithm>
#include <sstream>
#include <string>

#include "common/game/notation.h"
#include "gtest/gtest.h"

namespace zf::play {
namespace {

struct Played {
  absl::Status status;
  std::string output;
  std::vector<int16_t> moves;
  Player human;
};

Played PlayScript(const std::string& script, PlaySessionOptions options = {}) {
  options.rules = Rules{9, 5, Rule::kFreestyle};
  options.playouts = 50;
  UniformEvaluator uniform;
  std::istringstream in(script);
  std::ostringstream out;
  PlaySession session(options, &uniform, in, out);
  Played p;
  p.status = session.Run();
  p.output = out.str();
  p.moves = session.moves();
  p.human = session.human();
  return p;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(PlaySessionTest, BadInputRepromptsWithTheReason) {
  const Played p = PlayScript("garbage\ne5\ne5\nz99\n4,4\n99,1\n\nquit\n");
  ASSERT_TRUE(p.status.ok()) << p.status;
  EXPECT_NE(p.output.find("not a move: bad move 'garbage'"), std::string::npos) << p.output;
  EXPECT_NE(p.output.find("cannot play e5: point (4,4) is occupied"), std::string::npos);
  EXPECT_NE(p.output.find("bad move 'z99': off the 9x9 board"), std::string::npos);
  EXPECT_NE(p.output.find("bad move '99,1': off the 9x9 board"), std::string::npos);
  // "4,4" is e5 again: occupied.
  EXPECT_EQ(Count(p.output, "is occupied"), 2u);
  // One good move of ours and one reply; every bad line re-prompted.
  ASSERT_EQ(p.moves.size(), 2u);
  EXPECT_EQ(FormatMove(p.moves[0], 9), "e5");
  EXPECT_NE(p.output.find("zerofleet plays "), std::string::npos);
  EXPECT_EQ(Count(p.output, "move 3, you X (black) > "), 6u);  // after e5: 5 bad/blank + quit
  EXPECT_NE(p.output.find("bye"), std::string::npos);
}

// The session is deterministic (uniform evaluator, fixed seed): a point the model did not
// take after `script`, so a scripted move there is legal.
std::string FreePoint(const std::string& script, PlaySessionOptions options = {}) {
  const Played probe = PlayScript(script + "quit\n", options);
  for (int p = 0; p < 81; ++p) {
    if (std::find(probe.moves.begin(), probe.moves.end(), p) == probe.moves.end()) {
      return FormatMove(p, 9);
    }
  }
  return "";
}

TEST(PlaySessionTest, UndoTakesBackOurMoveAndTheReply) {
  const std::string second = FreePoint("e5\n");
  const Played p = PlayScript("e5\n" + second + "\nundo\nundo\nundo\nquit\n");
  ASSERT_TRUE(p.status.ok());
  EXPECT_TRUE(p.moves.empty());
  EXPECT_EQ(Count(p.output, "Took back to move 3."), 1u) << p.output;
  EXPECT_EQ(Count(p.output, "Took back to move 1."), 1u);
  EXPECT_NE(p.output.find("nothing to undo"), std::string::npos);
}

TEST(PlaySessionTest, EndOfInputQuitsCleanly) {
  const Played p = PlayScript("e5\n");
  ASSERT_TRUE(p.status.ok());
  EXPECT_EQ(p.moves.size(), 2u);
  EXPECT_NE(p.output.find("bye"), std::string::npos);
  EXPECT_TRUE(PlayScript("").status.ok());
}

TEST(PlaySessionTest, ModelOpensWhenWePlayWhite) {
  PlaySessionOptions options;
  options.human = Player::kWhite;
  const Played p = PlayScript("quit\n", options);
  ASSERT_EQ(p.moves.size(), 1u);
  EXPECT_NE(p.output.find("you play O (white)"), std::string::npos);
  EXPECT_NE(p.output.find("move 2, you O (white) > "), std::string::npos);
}

TEST(PlaySessionTest, SwapHandsOurSideToTheModel) {
  // We are black; swap before moving: the model plays black's first move, we answer as white.
  const std::string reply = FreePoint("swap\n");
  const Played p = PlayScript("swap\n" + reply + "\nquit\n");
  ASSERT_TRUE(p.status.ok());
  EXPECT_EQ(p.human, Player::kWhite);
  ASSERT_EQ(p.moves.size(), 3u);
  EXPECT_EQ(FormatMove(p.moves[1], 9), reply);
  EXPECT_NE(p.output.find("you now play O (white)"), std::string::npos);
}

TEST(PlaySessionTest, HintNamesAPointAndPlaysNothing) {
  PlaySessionOptions options;
  options.random_moves = true;
  options.model_name = "random";
  const Played p = PlayScript("hint\nquit\n", options);
  ASSERT_TRUE(p.status.ok());
  EXPECT_NE(p.output.find("hint: "), std::string::npos);
  EXPECT_NE(p.output.find("% for you"), std::string::npos);
  EXPECT_TRUE(p.moves.empty());
}

TEST(PlaySessionTest, ShowsTheBoardWithTheLastMoveMarked) {
  const Played p = PlayScript("a1\nquit\n");
  ASSERT_EQ(p.moves.size(), 2u);
  EXPECT_NE(p.output.find("    a  b  c  d  e  f  g  h  i"), std::string::npos) << p.output;
  // The board after the model's reply: our a1 plain, its stone in brackets.
  const std::string board = p.output.substr(p.output.rfind("    a  b"));
  EXPECT_NE(board.find(" 1  X "), std::string::npos) << board;
  EXPECT_NE(board.find("[O]"), std::string::npos) << board;
  EXPECT_EQ(board.find("[X]"), std::string::npos) << board;
}

TEST(PlaySessionTest, PlaysAGameToTheEndAgainstRandom) {
  // Our five along row 1 (a1..e1), unless the random model happens to block it; then keep
  // playing first-free points until the game ends.
  std::string script;
  for (int i = 0; i < 81; ++i) script += FormatMove(i, 9) + "\n";
  script += "e5\nnew\nquit\n";
  PlaySessionOptions options;
  options.random_moves = true;
  options.model_name = "random";
  const Played p = PlayScript(script, options);
  ASSERT_TRUE(p.status.ok());
  EXPECT_NE(p.output.find("wins with five in a row"), std::string::npos);
  EXPECT_NE(p.output.find("the game is over: type undo, new or quit"), std::string::npos);
  EXPECT_NE(p.output.find("New game."), std::string::npos);
  EXPECT_TRUE(p.moves.empty());
}

}  // namespace
}  // namespace zf::play
