#include "common/game/notation.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zf {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST(NotationTest, FormatMove) {
  EXPECT_EQ(FormatMove(7 * 15 + 7, 15), "h8");
  EXPECT_EQ(FormatMove(0, 15), "a1");
  EXPECT_EQ(FormatMove(8, 15), "i1");  // no letter is skipped
  EXPECT_EQ(FormatMove(224, 15), "o15");
  EXPECT_EQ(FormatMove(399, 20), "t20");
  EXPECT_EQ(FormatMove(kNoMove, 15), "pass");
  EXPECT_EQ(FormatMoveXY(7 * 15 + 7, 15), "7,7");
  EXPECT_EQ(FormatMoveXY(2 * 15 + 9, 15), "9,2");
}

TEST(NotationTest, ParseMove) {
  EXPECT_EQ(*ParseMove("h8", 15), 7 * 15 + 7);
  EXPECT_EQ(*ParseMove("H8", 15), 7 * 15 + 7);
  EXPECT_EQ(*ParseMove("  h8\n", 15), 7 * 15 + 7);
  EXPECT_EQ(*ParseMove("a1", 15), 0);
  EXPECT_EQ(*ParseMove("o15", 15), 224);
  EXPECT_EQ(*ParseMove("t20", 20), 399);
  EXPECT_EQ(*ParseMove("7,7", 15), 7 * 15 + 7);
  EXPECT_EQ(*ParseMove("9,2", 15), 2 * 15 + 9);
  EXPECT_EQ(*ParseMove("0,0", 5), 0);
}

TEST(NotationTest, EveryPointRoundTripsInBothNotations) {
  for (int size : {3, 5, 7, 9, 10, 15, 19, 20}) {
    for (int p = 0; p < size * size; ++p) {
      absl::StatusOr<int> letters = ParseMove(FormatMove(p, size), size);
      ASSERT_TRUE(letters.ok()) << letters.status();
      EXPECT_EQ(*letters, p) << FormatMove(p, size);
      absl::StatusOr<int> xy = ParseMove(FormatMoveXY(p, size), size);
      ASSERT_TRUE(xy.ok()) << xy.status();
      EXPECT_EQ(*xy, p) << FormatMoveXY(p, size);
    }
  }
}

TEST(NotationTest, ParseMoveRejectsGarbageNamingTheText) {
  for (const char* text : {"zz", "h", "h99", "1,", "a,b", "", "   ", "h0", "p1", "15,0", "-1,3",
                           "3,-1", "8h", "h8x", ",", "1,2,3", "#", "h 8 9", "99999999999,1"}) {
    absl::StatusOr<int> move = ParseMove(text, 15);
    ASSERT_FALSE(move.ok()) << "'" << text << "' parsed as " << *move;
    EXPECT_TRUE(absl::IsInvalidArgument(move.status()));
    const std::string stripped(absl::StripAsciiWhitespace(text));
    EXPECT_THAT(Message(move.status()), HasSubstr("'" + stripped + "'")) << move.status();
  }
}

TEST(NotationTest, OffBoardDependsOnSize) {
  EXPECT_TRUE(ParseMove("f6", 6).ok());
  absl::StatusOr<int> move = ParseMove("g6", 6);
  ASSERT_FALSE(move.ok());
  EXPECT_THAT(Message(move.status()), HasSubstr("off the 6x6 board"));
  EXPECT_FALSE(ParseMove("6,0", 6).ok());
  EXPECT_FALSE(ParseMove("a7", 6).ok());
}

TEST(NotationTest, MoveListRoundTrips) {
  absl::StatusOr<std::vector<int16_t>> moves = ParseMoveList("h8 i9 7,9", 15);
  ASSERT_TRUE(moves.ok()) << moves.status();
  EXPECT_THAT(*moves, ElementsAre(7 * 15 + 7, 8 * 15 + 8, 9 * 15 + 7));
  EXPECT_EQ(FormatMoveList(*moves, 15), "h8 i9 h10");
  absl::StatusOr<std::vector<int16_t>> again = ParseMoveList(FormatMoveList(*moves, 15), 15);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *moves);
  // Any whitespace or ';' separates; an empty list is the empty game.
  EXPECT_THAT(*ParseMoveList("  a1\tb2\n\nc3;d4 ; ", 15), ElementsAre(0, 16, 32, 48));
  EXPECT_TRUE(ParseMoveList("", 15)->empty());
  EXPECT_TRUE(ParseMoveList("   ", 15)->empty());
  EXPECT_EQ(FormatMoveList({}, 15), "");
}

TEST(NotationTest, MoveListRejectsGarbageNamingTheToken) {
  for (const char* bad : {"zz", "h", "h99", "1,", "a,b"}) {
    absl::StatusOr<std::vector<int16_t>> moves =
        ParseMoveList(absl::StrCat("h8 i9 ", bad, " j10"), 15);
    ASSERT_FALSE(moves.ok()) << bad;
    EXPECT_THAT(Message(moves.status()), HasSubstr(absl::StrCat("'", bad, "'")));
  }
}

TEST(NotationTest, PositionFromMoveList) {
  const Rules rules{15, 5, Rule::kFreestyle};
  absl::StatusOr<GameState> s = PositionFromMoveList(rules, "h8 i9 7,9");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->move_count(), 3);
  EXPECT_EQ(s->at(7, 7), Cell::kBlack);
  EXPECT_EQ(s->at(8, 8), Cell::kWhite);
  EXPECT_EQ(s->at(7, 9), Cell::kBlack);
  EXPECT_EQ(s->last_move(), 9 * 15 + 7);
  EXPECT_EQ(s->to_move(), Player::kWhite);

  absl::StatusOr<GameState> empty = PositionFromMoveList(rules, "");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->move_count(), 0);

  absl::StatusOr<GameState> won = PositionFromMoveList(rules, "a1 a2 b1 b2 c1 c2 d1 d2 e1");
  ASSERT_TRUE(won.ok());
  EXPECT_EQ(won->outcome(), Outcome::kBlackWin);
}

TEST(NotationTest, PositionFromMoveListErrorsNameTheMove) {
  const Rules rules{15, 5, Rule::kFreestyle};
  absl::StatusOr<GameState> s = PositionFromMoveList(rules, "h8 i9 h8");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(s.status()));
  EXPECT_THAT(Message(s.status()), HasSubstr("move 3 (h8)"));
  EXPECT_THAT(Message(s.status()), HasSubstr("occupied"));

  s = PositionFromMoveList(Rules{5, 3, Rule::kFreestyle}, "a1 a5 b1 b5 c1 c5");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s.status()), HasSubstr("move 6 (c5)"));
  EXPECT_THAT(Message(s.status()), HasSubstr("game is over"));

  for (const char* bad : {"zz", "h", "h99", "1,", "a,b"}) {
    s = PositionFromMoveList(rules, absl::StrCat("h8 ", bad));
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_THAT(Message(s.status()), HasSubstr(absl::StrCat("'", bad, "'")));
  }

  s = PositionFromMoveList(Rules{4, 3, Rule::kFreestyle}, "a1");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s.status()), HasSubstr("board size 4"));
}

TEST(NotationTest, RenderBoardMarksTheLastMove) {
  absl::StatusOr<GameState> s = PositionFromMoveList(Rules{5, 4, Rule::kFreestyle}, "a1 c3");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(RenderBoard(*s),
            "    a  b  c  d  e \n"
            " 1  X  .  .  .  . \n"
            " 2  .  .  .  .  . \n"
            " 3  .  . [O] .  . \n"
            " 4  .  .  .  .  . \n"
            " 5  .  .  .  .  . \n");
  absl::StatusOr<GameState> next = PositionFromMoveList(Rules{5, 4, Rule::kFreestyle}, "a1 c3 e5");
  ASSERT_TRUE(next.ok());
  const std::string board = RenderBoard(*next);
  EXPECT_THAT(board, HasSubstr(" 3  .  .  O  .  . \n"));
  EXPECT_THAT(board, HasSubstr(" 5  .  .  .  . [X]\n"));
  EXPECT_EQ(board.find('['), board.rfind('['));  // exactly one marked stone
}

TEST(NotationTest, RenderBoardEmptyAndLarge) {
  const std::string empty = RenderBoard(GameState(Rules{}));
  EXPECT_EQ(empty.find('['), std::string::npos);
  EXPECT_THAT(empty, HasSubstr(" 9  . "));
  EXPECT_THAT(empty, HasSubstr("\n10  . "));
  EXPECT_THAT(empty, HasSubstr(" o \n"));
}

}  // namespace
}  // namespace zf
