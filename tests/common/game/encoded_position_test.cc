#include "common/game/encoded_position.h"

#include <random>

#include "common/game/notation.h"
#include "common/game/symmetry.h"
#include "gtest/gtest.h"

namespace zf {
namespace {

int CountStones(const EncodedPosition& e, bool own) {
  int count = 0;
  for (int p = 0; p < e.size * e.size; ++p) count += own ? e.IsOwn(p) : e.IsOpp(p);
  return count;
}

TEST(EncodedPositionTest, EmptyBoard) {
  const EncodedPosition e = Encode(GameState(Rules{15, 5, Rule::kStandard}));
  EXPECT_EQ(e.size, 15);
  EXPECT_EQ(e.win_length, 5);
  EXPECT_EQ(e.rule, Rule::kStandard);
  EXPECT_EQ(e.to_move, Player::kBlack);
  EXPECT_EQ(e.last_move, kNoMove);
  for (int p = 0; p < 225; ++p) EXPECT_TRUE(e.IsEmpty(p));
  for (int w = 0; w < kPlaneWords; ++w) {
    EXPECT_EQ(e.own[w], 0u);
    EXPECT_EQ(e.opp[w], 0u);
  }
}

TEST(EncodedPositionTest, StonesAreRelativeToTheSideToMove) {
  const Rules rules{15, 5, Rule::kFreestyle};
  GameState s(rules);
  const int h8 = 7 * 15 + 7;
  const int i9 = 8 * 15 + 8;
  ASSERT_TRUE(s.Play(h8).ok());
  EncodedPosition e = Encode(s);
  // White to move: black's h8 is the opponent's.
  EXPECT_EQ(e.to_move, Player::kWhite);
  EXPECT_TRUE(e.IsOpp(h8));
  EXPECT_FALSE(e.IsOwn(h8));
  EXPECT_EQ(e.last_move, h8);
  ASSERT_TRUE(s.Play(i9).ok());
  e = Encode(s);
  // Black to move: h8 is now "own", white's i9 the opponent's.
  EXPECT_EQ(e.to_move, Player::kBlack);
  EXPECT_TRUE(e.IsOwn(h8));
  EXPECT_TRUE(e.IsOpp(i9));
  EXPECT_FALSE(e.IsEmpty(h8));
  EXPECT_TRUE(e.IsEmpty(h8 + 1));
  EXPECT_EQ(e.last_move, i9);
  EXPECT_EQ(CountStones(e, true), 1);
  EXPECT_EQ(CountStones(e, false), 1);
}

TEST(EncodedPositionTest, MatchesTheBoardOnRandomGames) {
  std::mt19937 rng(5);
  for (const Rules& rules : {Rules{20, 5, Rule::kFreestyle}, Rules{9, 4, Rule::kStandard},
                             Rules{3, 3, Rule::kFreestyle}}) {
    GameState s(rules);
    std::vector<int16_t> legal(s.num_points());
    while (!s.IsTerminal()) {
      const int n = s.LegalMoves(absl::MakeSpan(legal));
      ASSERT_TRUE(s.Play(legal[rng() % n]).ok());
      const EncodedPosition e = Encode(s);
      const Cell mine = StoneOf(s.to_move());
      for (int p = 0; p < s.num_points(); ++p) {
        ASSERT_EQ(e.IsOwn(p), s.at(p) == mine) << p;
        ASSERT_EQ(e.IsOpp(p), s.at(p) != mine && s.at(p) != Cell::kEmpty) << p;
      }
      // No bits beyond the board.
      for (int p = s.num_points(); p < kPlaneWords * 64; ++p) {
        ASSERT_FALSE(EncodedPosition::Bit(e.own, p));
        ASSERT_FALSE(EncodedPosition::Bit(e.opp, p));
      }
      ASSERT_EQ(e.last_move, s.last_move());
      ASSERT_EQ(e.to_move, s.to_move());
    }
  }
}

TEST(EncodedPositionTest, LastPointOfTheLargestBoard) {
  GameState s(Rules{20, 5, Rule::kFreestyle});
  ASSERT_TRUE(s.Play(399).ok());
  const EncodedPosition e = Encode(s);
  EXPECT_TRUE(e.IsOpp(399));
  EXPECT_EQ(e.opp[6], uint64_t{1} << (399 - 6 * 64));
}

TEST(EncodedPositionTest, EqualityLooksAtEveryField) {
  absl::StatusOr<GameState> s = PositionFromMoveList(Rules{}, "h8 i9 j10");
  ASSERT_TRUE(s.ok());
  const EncodedPosition base = Encode(*s);
  EXPECT_TRUE(base == Encode(*s));
  EncodedPosition e = base;
  e.last_move = 0;
  EXPECT_FALSE(e == base);
  e = base;
  e.own[1] ^= 1;
  EXPECT_FALSE(e == base);
  e = base;
  e.opp[0] ^= 1;
  EXPECT_FALSE(e == base);
  e = base;
  e.to_move = Player::kBlack;
  EXPECT_FALSE(e == base);
  e = base;
  e.rule = Rule::kStandard;
  EXPECT_FALSE(e == base);
  e = base;
  e.win_length = 6;
  EXPECT_FALSE(e == base);
}

TEST(EncodedPositionTest, TransformRoundTripsThroughTheInverse) {
  absl::StatusOr<GameState> s =
      PositionFromMoveList(Rules{15, 5, Rule::kFreestyle}, "a1 b1 c2 o15 h8 d12");
  ASSERT_TRUE(s.ok());
  const EncodedPosition e = Encode(*s);
  for (int sym = 0; sym < kNumSymmetries; ++sym) {
    const EncodedPosition t = TransformEncoded(e, sym);
    EXPECT_EQ(CountStones(t, true), 3);
    EXPECT_EQ(CountStones(t, false), 3);
    EXPECT_EQ(t.last_move, TransformPoint(e.last_move, sym, 15));
    EXPECT_EQ(t.to_move, e.to_move);
    if (sym != 0) {
      EXPECT_FALSE(t == e) << sym;  // this position has no symmetry
    }
    EXPECT_TRUE(TransformEncoded(t, InverseSymmetry(sym)) == e) << sym;
    for (int sym2 = 0; sym2 < kNumSymmetries; ++sym2) {
      EXPECT_TRUE(TransformEncoded(t, sym2) == TransformEncoded(e, ComposeSymmetries(sym, sym2)));
    }
  }
}

TEST(EncodedPositionTest, TransformOfTheEmptyBoardKeepsNoLastMove) {
  const EncodedPosition e = Encode(GameState(Rules{}));
  for (int sym = 0; sym < kNumSymmetries; ++sym) {
    const EncodedPosition t = TransformEncoded(e, sym);
    EXPECT_EQ(t.last_move, kNoMove);
    EXPECT_TRUE(t == e);
  }
}

}  // namespace
}  // namespace zf
