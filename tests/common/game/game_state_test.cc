#include "common/game/game_state.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zf {
namespace {

using ::testing::HasSubstr;

constexpr Rules kFree15{15, 5, Rule::kFreestyle};
constexpr Rules kStd15{15, 5, Rule::kStandard};

int Pt(int x, int y, int size) { return y * size + x; }

// Independent brute-force line scanner: bit 0 set if black has a winning line, bit 1 if white
// does. A winning line is a maximal run of k or more stones (freestyle) or of exactly k
// (standard).
int LineOwners(const GameState& s) {
  static constexpr int kDirs[4][2] = {{1, 0}, {0, 1}, {1, 1}, {1, -1}};
  const int n = s.size();
  const int k = s.rules().win_length;
  const bool exact = s.rules().rule == Rule::kStandard;
  auto inside = [n](int x, int y) { return x >= 0 && x < n && y >= 0 && y < n; };
  int owners = 0;
  for (const auto& d : kDirs) {
    for (int y = 0; y < n; ++y) {
      for (int x = 0; x < n; ++x) {
        const Cell c = s.at(x, y);
        if (c == Cell::kEmpty) continue;
        if (inside(x - d[0], y - d[1]) && s.at(x - d[0], y - d[1]) == c) continue;  // not a start
        int len = 0;
        for (int cx = x, cy = y; inside(cx, cy) && s.at(cx, cy) == c; cx += d[0], cy += d[1]) {
          ++len;
        }
        if (exact ? len == k : len >= k) owners |= c == Cell::kBlack ? 1 : 2;
      }
    }
  }
  return owners;
}

// The longest run of one colour anywhere on the board.
int LongestRun(const GameState& s) {
  static constexpr int kDirs[4][2] = {{1, 0}, {0, 1}, {1, 1}, {1, -1}};
  const int n = s.size();
  int best = 0;
  for (const auto& d : kDirs) {
    for (int y = 0; y < n; ++y) {
      for (int x = 0; x < n; ++x) {
        const Cell c = s.at(x, y);
        if (c == Cell::kEmpty) continue;
        int len = 0;
        for (int cx = x, cy = y; cx >= 0 && cx < n && cy >= 0 && cy < n && s.at(cx, cy) == c;
             cx += d[0], cy += d[1]) {
          ++len;
        }
        best = std::max(best, len);
      }
    }
  }
  return best;
}

// Plays black[0], white[0], black[1], ... and expects no move to end the game before the last.
GameState PlayAlternating(const Rules& rules, const std::vector<int>& black,
                          const std::vector<int>& white) {
  EXPECT_TRUE(black.size() == white.size() || black.size() == white.size() + 1);
  GameState s(rules);
  const size_t total = black.size() + white.size();
  for (size_t i = 0; i < total; ++i) {
    const int move = i % 2 == 0 ? black[i / 2] : white[i / 2];
    EXPECT_FALSE(s.IsTerminal()) << "ended before move " << i + 1;
    const absl::Status st = s.Play(move);
    EXPECT_TRUE(st.ok()) << "move " << i + 1 << ": " << st;
  }
  return s;
}

// White filler stones far from the action on a 15x15 board: spaced so they never form a line.
std::vector<int> Fillers15(int count) {
  std::vector<int> out;
  for (int i = 0; i < count; ++i) out.push_back(Pt(14 - 2 * (i % 4), 14 - 2 * (i / 4), 15));
  return out;
}

TEST(GameStateTest, NewGame) {
  GameState s(kFree15);
  EXPECT_EQ(s.size(), 15);
  EXPECT_EQ(s.num_points(), 225);
  EXPECT_EQ(s.to_move(), Player::kBlack);
  EXPECT_EQ(s.move_count(), 0);
  EXPECT_EQ(s.last_move(), kNoMove);
  EXPECT_EQ(s.outcome(), Outcome::kOngoing);
  EXPECT_FALSE(s.IsTerminal());
  EXPECT_EQ(s.ResultFor(Player::kBlack), 0.0f);
  std::vector<int16_t> moves(s.num_points());
  ASSERT_EQ(s.LegalMoves(absl::MakeSpan(moves)), 225);
  for (int p = 0; p < 225; ++p) EXPECT_EQ(moves[p], p);
}

TEST(GameStateTest, PlayAlternatesAndRecords) {
  GameState s(kFree15);
  ASSERT_TRUE(s.Play(Pt(7, 7, 15)).ok());
  EXPECT_EQ(s.at(7, 7), Cell::kBlack);
  EXPECT_EQ(s.to_move(), Player::kWhite);
  EXPECT_EQ(s.last_move(), Pt(7, 7, 15));
  ASSERT_TRUE(s.Play(Pt(8, 7, 15)).ok());
  EXPECT_EQ(s.at(Pt(8, 7, 15)), Cell::kWhite);
  EXPECT_EQ(s.to_move(), Player::kBlack);
  EXPECT_EQ(s.move_count(), 2);
  EXPECT_FALSE(s.IsLegal(Pt(7, 7, 15)));
  EXPECT_TRUE(s.IsLegal(Pt(6, 7, 15)));
  std::vector<int16_t> moves(s.num_points());
  EXPECT_EQ(s.LegalMoves(absl::MakeSpan(moves)), 223);
}

TEST(GameStateTest, OccupiedPointIsAnErrorNamingThePoint) {
  GameState s(kFree15);
  ASSERT_TRUE(s.Play(Pt(3, 4, 15)).ok());
  const absl::Status st = s.Play(Pt(3, 4, 15));
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(st));
  EXPECT_THAT(std::string(st.message()), HasSubstr("(3,4) is occupied"));
  // The failed move changed nothing.
  EXPECT_EQ(s.move_count(), 1);
  EXPECT_EQ(s.to_move(), Player::kWhite);
  EXPECT_EQ(s.last_move(), Pt(3, 4, 15));
}

TEST(GameStateTest, OffBoardIsAnErrorNamingTheMove) {
  GameState s(kFree15);
  for (int bad : {-1, 225, 1000, -32768}) {
    const absl::Status st = s.Play(bad);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_TRUE(absl::IsInvalidArgument(st));
    EXPECT_THAT(std::string(st.message()), HasSubstr(std::to_string(bad)));
    EXPECT_THAT(std::string(st.message()), HasSubstr("off the 15x15 board"));
    EXPECT_FALSE(s.IsLegal(bad));
  }
  EXPECT_EQ(s.move_count(), 0);
}

TEST(GameStateTest, PlayAfterGameOverIsAnError) {
  const GameState won = PlayAlternating(kFree15, {0, 1, 2, 3, 4}, Fillers15(4));
  ASSERT_EQ(won.outcome(), Outcome::kBlackWin);
  GameState s = won;
  const absl::Status st = s.Play(Pt(7, 7, 15));
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(st));
  EXPECT_THAT(std::string(st.message()), HasSubstr("game is over"));
  EXPECT_EQ(s.move_count(), 9);
  EXPECT_FALSE(s.IsLegal(Pt(7, 7, 15)));
  std::vector<int16_t> moves(s.num_points());
  EXPECT_EQ(s.LegalMoves(absl::MakeSpan(moves)), 0);
  EXPECT_EQ(s.ResultFor(Player::kBlack), 1.0f);
  EXPECT_EQ(s.ResultFor(Player::kWhite), -1.0f);
}

TEST(GameStateTest, WhiteCanWin) {
  // Black's fillers on the bottom edge, spaced; white builds a vertical line on the left edge.
  const std::vector<int> black = {Pt(14, 14, 15), Pt(12, 14, 15), Pt(10, 14, 15), Pt(8, 14, 15),
                                  Pt(6, 14, 15)};
  const std::vector<int> white = {Pt(0, 0, 15), Pt(0, 1, 15), Pt(0, 2, 15), Pt(0, 3, 15),
                                  Pt(0, 4, 15)};
  const GameState s = PlayAlternating(kFree15, black, white);
  EXPECT_EQ(s.outcome(), Outcome::kWhiteWin);
  EXPECT_EQ(s.ResultFor(Player::kWhite), 1.0f);
  EXPECT_EQ(s.ResultFor(Player::kBlack), -1.0f);
}

// Every possible line of k, in all four directions and at every position (so every edge and
// corner), completed by a stone at every position in the line, under both rules.
TEST(GameStateTest, WinsInAllDirectionsEverywhere) {
  static constexpr int kDirs[4][2] = {{1, 0}, {0, 1}, {1, 1}, {1, -1}};
  const std::vector<Rules> all_rules = {kFree15, kStd15, Rules{7, 5, Rule::kFreestyle},
                                        Rules{6, 4, Rule::kStandard}, Rules{5, 5, Rule::kStandard}};
  int checked = 0;
  for (const Rules& rules : all_rules) {
    const int n = rules.size;
    const int k = rules.win_length;
    for (int dir = 0; dir < 4; ++dir) {
      const int dx = kDirs[dir][0];
      const int dy = kDirs[dir][1];
      for (int y0 = 0; y0 < n; ++y0) {
        for (int x0 = 0; x0 < n; ++x0) {
          const int x1 = x0 + dx * (k - 1);
          const int y1 = y0 + dy * (k - 1);
          if (x1 < 0 || x1 >= n || y1 < 0 || y1 >= n) continue;
          std::vector<int> line;
          for (int i = 0; i < k; ++i) line.push_back(Pt(x0 + dx * i, y0 + dy * i, n));
          // k-1 white stones off the line can never make a line of k.
          std::vector<int> white;
          for (int p = 0; p < n * n && static_cast<int>(white.size()) < k - 1; ++p) {
            if (std::find(line.begin(), line.end(), p) == line.end()) white.push_back(p);
          }
          for (int last = 0; last < k; ++last) {
            std::vector<int> black = line;
            std::rotate(black.begin() + last, black.begin() + last + 1, black.end());
            const GameState s = PlayAlternating(rules, black, white);
            ASSERT_EQ(s.outcome(), Outcome::kBlackWin)
                << DescribeRules(rules) << " dir " << dir << " from (" << x0 << "," << y0
                << ") last stone " << last;
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 2000);
}

TEST(GameStateTest, FourIsNotAWinAndAGapBreaksTheLine) {
  // Black: (3..6, 7) and (8, 7): four plus a stone across a gap.
  const std::vector<int> black = {Pt(3, 7, 15), Pt(4, 7, 15), Pt(5, 7, 15), Pt(6, 7, 15),
                                  Pt(8, 7, 15)};
  const GameState s = PlayAlternating(kFree15, black, Fillers15(4));
  EXPECT_EQ(s.outcome(), Outcome::kOngoing);
  EXPECT_EQ(s.to_move(), Player::kWhite);
}

TEST(GameStateTest, OverlineWinsUnderFreestyle) {
  // (2,3,4) and (6,7) then (5): a line of six made by the last stone.
  const std::vector<int> black = {Pt(2, 7, 15), Pt(3, 7, 15), Pt(4, 7, 15),
                                  Pt(6, 7, 15), Pt(7, 7, 15), Pt(5, 7, 15)};
  const GameState s = PlayAlternating(kFree15, black, Fillers15(5));
  EXPECT_EQ(s.outcome(), Outcome::kBlackWin);
}

TEST(GameStateTest, OverlineDoesNotWinUnderStandard) {
  const std::vector<int> black = {Pt(2, 7, 15), Pt(3, 7, 15), Pt(4, 7, 15),
                                  Pt(6, 7, 15), Pt(7, 7, 15), Pt(5, 7, 15)};
  GameState s = PlayAlternating(kStd15, black, Fillers15(5));
  EXPECT_EQ(s.outcome(), Outcome::kOngoing);
  EXPECT_EQ(LongestRun(s), 6);
  // Extending it to seven is no win either.
  ASSERT_TRUE(s.Play(Pt(0, 0, 15)).ok());
  ASSERT_TRUE(s.Play(Pt(8, 7, 15)).ok());
  EXPECT_EQ(s.outcome(), Outcome::kOngoing);
}

TEST(GameStateTest, OverlineOfSixVerticalAndDiagonalUnderStandard) {
  // Vertical six on the left edge and diagonal six into the top-left corner: no win.
  const std::vector<int> vertical = {Pt(0, 9, 15),  Pt(0, 10, 15), Pt(0, 11, 15),
                                     Pt(0, 13, 15), Pt(0, 14, 15), Pt(0, 12, 15)};
  EXPECT_EQ(PlayAlternating(kStd15, vertical, Fillers15(5)).outcome(), Outcome::kOngoing);
  EXPECT_EQ(PlayAlternating(kFree15, vertical, Fillers15(5)).outcome(), Outcome::kBlackWin);
  const std::vector<int> diagonal = {Pt(0, 0, 15), Pt(1, 1, 15), Pt(2, 2, 15),
                                     Pt(4, 4, 15), Pt(5, 5, 15), Pt(3, 3, 15)};
  EXPECT_EQ(PlayAlternating(kStd15, diagonal, Fillers15(5)).outcome(), Outcome::kOngoing);
  EXPECT_EQ(PlayAlternating(kFree15, diagonal, Fillers15(5)).outcome(), Outcome::kBlackWin);
}

TEST(GameStateTest, StandardOverlinePlusExactFiveElsewhereWins) {
  // The last stone (5,7) makes six across (2..7, 7) and exactly five down (5, 3..7).
  const std::vector<int> black = {Pt(2, 7, 15), Pt(3, 7, 15), Pt(4, 7, 15), Pt(6, 7, 15),
                                  Pt(7, 7, 15), Pt(5, 3, 15), Pt(5, 4, 15), Pt(5, 5, 15),
                                  Pt(5, 6, 15), Pt(5, 7, 15)};
  const GameState s = PlayAlternating(kStd15, black, Fillers15(9));
  EXPECT_EQ(s.outcome(), Outcome::kBlackWin);
}

TEST(GameStateTest, StandardOverlinePlusFourElsewhereDoesNotWin) {
  const std::vector<int> black = {Pt(2, 7, 15), Pt(3, 7, 15), Pt(4, 7, 15),
                                  Pt(6, 7, 15), Pt(7, 7, 15), Pt(5, 4, 15),
                                  Pt(5, 5, 15), Pt(5, 6, 15), Pt(5, 7, 15)};
  const GameState s = PlayAlternating(kStd15, black, Fillers15(8));
  EXPECT_EQ(s.outcome(), Outcome::kOngoing);
}

TEST(GameStateTest, StandardExactFiveBlockedAtOneEndWins) {
  // White at (1,7); black (2..6, 7): exactly five, next to an opponent stone.
  const std::vector<int> black = {Pt(2, 7, 15), Pt(3, 7, 15), Pt(4, 7, 15), Pt(5, 7, 15),
                                  Pt(6, 7, 15)};
  std::vector<int> white = Fillers15(3);
  white.insert(white.begin(), Pt(1, 7, 15));
  EXPECT_EQ(PlayAlternating(kStd15, black, white).outcome(), Outcome::kBlackWin);
}

TEST(GameStateTest, TicTacToe) {
  const Rules ttt{3, 3, Rule::kFreestyle};
  // X: top row.
  const GameState won = PlayAlternating(ttt, {0, 1, 2}, {3, 4});
  EXPECT_EQ(won.outcome(), Outcome::kBlackWin);
  // O: the anti-diagonal.
  const GameState o_won = PlayAlternating(ttt, {0, 1, 5}, {2, 4, 6});
  EXPECT_EQ(o_won.outcome(), Outcome::kWhiteWin);
  // A full-board draw:
  //   X O X
  //   X O O
  //   O X X
  for (Rule rule : {Rule::kFreestyle, Rule::kStandard}) {
    const GameState draw = PlayAlternating(Rules{3, 3, rule}, {0, 2, 3, 7, 8}, {1, 4, 5, 6});
    EXPECT_EQ(draw.outcome(), Outcome::kDraw);
    EXPECT_EQ(draw.move_count(), 9);
    EXPECT_EQ(draw.ResultFor(Player::kBlack), 0.0f);
    EXPECT_EQ(draw.ResultFor(Player::kWhite), 0.0f);
    EXPECT_EQ(LineOwners(draw), 0);
  }
}

TEST(GameStateTest, FullBoardDrawOnFiveByFive) {
  // A 5x5 filling with no row, column or diagonal of one colour (13 X, 12 O):
  //   X X O O X
  //   O O X X O
  //   X X O O X
  //   O O X X O
  //   X X O O X
  const char* const kRows[5] = {"XXOOX", "OOXXO", "XXOOX", "OOXXO", "XXOOX"};
  std::vector<int> black, white;
  for (int y = 0; y < 5; ++y) {
    for (int x = 0; x < 5; ++x) (kRows[y][x] == 'X' ? black : white).push_back(Pt(x, y, 5));
  }
  ASSERT_EQ(black.size(), 13u);
  ASSERT_EQ(white.size(), 12u);
  for (Rule rule : {Rule::kFreestyle, Rule::kStandard}) {
    const GameState s = PlayAlternating(Rules{5, 5, rule}, black, white);
    EXPECT_EQ(s.outcome(), Outcome::kDraw) << RuleName(rule);
    EXPECT_EQ(s.move_count(), 25);
    std::vector<int16_t> moves(s.num_points());
    EXPECT_EQ(s.LegalMoves(absl::MakeSpan(moves)), 0);
  }
}

TEST(GameStateTest, WinOnTheLastEmptyPointIsAWinNotADraw) {
  // Tic-tac-toe where X's ninth stone completes a line on a full board:
  //   X O X
  //   O X O
  //   O X [X]
  const GameState s = PlayAlternating(Rules{3, 3, Rule::kFreestyle}, {0, 2, 4, 7, 8}, {1, 3, 5, 6});
  EXPECT_EQ(s.move_count(), 9);
  EXPECT_EQ(s.outcome(), Outcome::kBlackWin);
}

// Property test: random games on many boards under both rules. Every listed move is legal, and
// the game ends exactly when the brute-force scanner sees a line (or the board is full).
TEST(GameStatePropertyTest, RandomGamesMatchBruteForceScanner) {
  struct Config {
    Rules rules;
    int games;
  };
  std::vector<Config> configs;
  for (Rule rule : {Rule::kFreestyle, Rule::kStandard}) {
    configs.push_back({Rules{3, 3, rule}, 300});
    configs.push_back({Rules{5, 4, rule}, 300});
    configs.push_back({Rules{6, 4, rule}, 300});
    configs.push_back({Rules{7, 5, rule}, 200});
    configs.push_back({Rules{9, 5, rule}, 150});
    configs.push_back({Rules{15, 5, rule}, 40});
    configs.push_back({Rules{20, 6, rule}, 15});
  }
  std::mt19937 rng(20240611);
  int wins = 0, draws = 0, standard_overlines = 0;
  for (const Config& config : configs) {
    const int n = config.rules.size;
    const int points = n * n;
    std::vector<int16_t> legal(points);
    for (int g = 0; g < config.games; ++g) {
      GameState s(config.rules);
      while (!s.IsTerminal()) {
        const int num_legal = s.LegalMoves(absl::MakeSpan(legal));
        ASSERT_EQ(num_legal, points - s.move_count());
        for (int i = 0; i < num_legal; ++i) {
          ASSERT_EQ(s.at(legal[i]), Cell::kEmpty);
          ASSERT_TRUE(s.IsLegal(legal[i]));
        }
        // Half the moves go next to the last stone, so lines (and overlines) happen often.
        int move = legal[std::uniform_int_distribution<int>(0, num_legal - 1)(rng)];
        if (s.last_move() != kNoMove && rng() % 2 == 0) {
          const int lx = s.last_move() % n + static_cast<int>(rng() % 3) - 1;
          const int ly = s.last_move() / n + static_cast<int>(rng() % 3) - 1;
          if (lx >= 0 && lx < n && ly >= 0 && ly < n && s.IsLegal(Pt(lx, ly, n))) {
            move = Pt(lx, ly, n);
          }
        }
        const Player mover = s.to_move();
        ASSERT_TRUE(s.Play(move).ok());
        ASSERT_EQ(s.last_move(), move);
        const int owners = LineOwners(s);
        const bool full = s.move_count() == points;
        ASSERT_EQ(s.IsTerminal(), owners != 0 || full)
            << DescribeRules(config.rules) << " owners " << owners << " after " << s.move_count()
            << " moves";
        if (owners != 0) {
          // Only the player who just moved can have a line: the game would have ended earlier.
          ASSERT_EQ(owners, mover == Player::kBlack ? 1 : 2);
          ASSERT_EQ(s.outcome(), mover == Player::kBlack ? Outcome::kBlackWin : Outcome::kWhiteWin);
          ASSERT_EQ(s.ResultFor(mover), 1.0f);
          ASSERT_EQ(s.ResultFor(Opponent(mover)), -1.0f);
          ++wins;
        } else if (full) {
          ASSERT_EQ(s.outcome(), Outcome::kDraw);
          ++draws;
        } else {
          ASSERT_EQ(s.to_move(), Opponent(mover));
          if (config.rules.rule == Rule::kStandard && LongestRun(s) > config.rules.win_length) {
            ++standard_overlines;
          }
        }
      }
      ASSERT_EQ(s.LegalMoves(absl::MakeSpan(legal)), 0);
      ASSERT_FALSE(s.Play(0).ok());
    }
  }
  // The random games really exercised wins, draws and standard-rule overlines.
  EXPECT_GT(wins, 1000);
  EXPECT_GT(draws, 10);
  EXPECT_GT(standard_overlines, 10);
}

}  // namespace
}  // namespace zf
