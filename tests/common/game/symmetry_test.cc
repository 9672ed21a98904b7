#include "common/game/symmetry.h"

#include <random>
#include <set>
#include <vector>

#include "common/game/encoded_position.h"
#include "common/game/game_state.h"
#include "gtest/gtest.h"

namespace zf {
namespace {

constexpr int kSizes[] = {3, 5, 6, 7, 15, 20};

// A random legal game; stones cluster near the last move so games end in wins as well as draws.
std::vector<int> RandomGame(const Rules& rules, std::mt19937* rng) {
  GameState s(rules);
  std::vector<int16_t> legal(s.num_points());
  std::vector<int> moves;
  while (!s.IsTerminal()) {
    const int n = s.LegalMoves(absl::MakeSpan(legal));
    int move = legal[std::uniform_int_distribution<int>(0, n - 1)(*rng)];
    if (s.last_move() != kNoMove && (*rng)() % 2 == 0) {
      const int x = s.last_move() % rules.size + static_cast<int>((*rng)() % 3) - 1;
      const int y = s.last_move() / rules.size + static_cast<int>((*rng)() % 3) - 1;
      if (x >= 0 && x < rules.size && y >= 0 && y < rules.size && s.IsLegal(y * rules.size + x)) {
        move = y * rules.size + x;
      }
    }
    EXPECT_TRUE(s.Play(move).ok());
    moves.push_back(move);
  }
  return moves;
}

TEST(SymmetryTest, IdentityIsZero) {
  for (int size : kSizes) {
    for (int p = 0; p < size * size; ++p) EXPECT_EQ(TransformPoint(p, 0, size), p);
  }
}

TEST(SymmetryTest, MatchesTheDocumentedMapping) {
  // (x, y) = (1, 2) on a 5x5 board (n - 1 = 4).
  const int n = 5;
  auto pt = [n](int x, int y) { return y * n + x; };
  EXPECT_EQ(TransformPoint(pt(1, 2), 1, n), pt(3, 2));  // flip x
  EXPECT_EQ(TransformPoint(pt(1, 2), 2, n), pt(1, 2));  // the middle row stays put
  EXPECT_EQ(TransformPoint(pt(1, 0), 2, n), pt(1, 4));  // flip y
  EXPECT_EQ(TransformPoint(pt(1, 2), 3, n), pt(3, 2));  // both flips: (3, 2)
  EXPECT_EQ(TransformPoint(pt(1, 0), 3, n), pt(3, 4));
  EXPECT_EQ(TransformPoint(pt(1, 0), 4, n), pt(0, 1));  // transpose
  EXPECT_EQ(TransformPoint(pt(1, 0), 5, n), pt(4, 1));  // transpose, then flip x
  EXPECT_EQ(TransformPoint(pt(1, 0), 6, n), pt(0, 3));  // transpose, then flip y
  EXPECT_EQ(TransformPoint(pt(1, 0), 7, n), pt(4, 3));
}

TEST(SymmetryTest, EachIsABijectionAndAllEightDiffer) {
  for (int size : kSizes) {
    std::set<std::vector<int>> maps;
    for (int s = 0; s < kNumSymmetries; ++s) {
      std::vector<int> image;
      std::set<int> seen;
      for (int p = 0; p < size * size; ++p) {
        const int q = TransformPoint(p, s, size);
        ASSERT_GE(q, 0);
        ASSERT_LT(q, size * size);
        seen.insert(q);
        image.push_back(q);
      }
      EXPECT_EQ(seen.size(), static_cast<size_t>(size * size)) << "symmetry " << s;
      maps.insert(image);
    }
    EXPECT_EQ(maps.size(), 8u) << "size " << size;
  }
}

TEST(SymmetryTest, CompositionMatchesApplyingTwice) {
  for (int a = 0; a < kNumSymmetries; ++a) {
    for (int b = 0; b < kNumSymmetries; ++b) {
      const int c = ComposeSymmetries(a, b);
      ASSERT_GE(c, 0);
      ASSERT_LT(c, kNumSymmetries);
      for (int size : kSizes) {
        for (int p = 0; p < size * size; ++p) {
          ASSERT_EQ(TransformPoint(TransformPoint(p, a, size), b, size), TransformPoint(p, c, size))
              << "a=" << a << " b=" << b << " size=" << size << " p=" << p;
        }
      }
    }
  }
}

TEST(SymmetryTest, FormsAGroup) {
  for (int a = 0; a < kNumSymmetries; ++a) {
    // Identity.
    EXPECT_EQ(ComposeSymmetries(a, 0), a);
    EXPECT_EQ(ComposeSymmetries(0, a), a);
    // Inverses.
    const int inv = InverseSymmetry(a);
    ASSERT_GE(inv, 0);
    ASSERT_LT(inv, kNumSymmetries);
    EXPECT_EQ(ComposeSymmetries(a, inv), 0) << a;
    EXPECT_EQ(ComposeSymmetries(inv, a), 0) << a;
    EXPECT_EQ(InverseSymmetry(inv), a);
    // Each row of the Cayley table is a permutation (closure plus cancellation).
    std::set<int> row;
    for (int b = 0; b < kNumSymmetries; ++b) row.insert(ComposeSymmetries(a, b));
    EXPECT_EQ(row.size(), 8u);
    // Associativity.
    for (int b = 0; b < kNumSymmetries; ++b) {
      for (int c = 0; c < kNumSymmetries; ++c) {
        EXPECT_EQ(ComposeSymmetries(ComposeSymmetries(a, b), c),
                  ComposeSymmetries(a, ComposeSymmetries(b, c)));
      }
    }
  }
  // The rotations by 90 degrees (5 and 6) are not self-inverse; the rest are.
  EXPECT_EQ(InverseSymmetry(5), 6);
  EXPECT_EQ(InverseSymmetry(6), 5);
}

TEST(SymmetryTest, InverseUndoesTheTransform) {
  for (int size : kSizes) {
    for (int s = 0; s < kNumSymmetries; ++s) {
      for (int p = 0; p < size * size; ++p) {
        EXPECT_EQ(TransformPoint(TransformPoint(p, s, size), InverseSymmetry(s), size), p);
        EXPECT_EQ(TransformPoint(TransformPoint(p, InverseSymmetry(s), size), s, size), p);
      }
    }
  }
}

TEST(SymmetryTest, TransformPolicyRoundTripsWithTheInverse) {
  std::mt19937 rng(7);
  for (int size : kSizes) {
    const int n = size * size;
    std::vector<float> in(n);
    for (float& v : in) v = std::uniform_real_distribution<float>(0, 1)(rng);
    for (int s = 0; s < kNumSymmetries; ++s) {
      std::vector<float> out(n, -1), back(n, -1);
      TransformPolicy(in, s, size, absl::MakeSpan(out));
      for (int p = 0; p < n; ++p) EXPECT_EQ(out[TransformPoint(p, s, size)], in[p]);
      TransformPolicy(out, InverseSymmetry(s), size, absl::MakeSpan(back));
      EXPECT_EQ(back, in) << "size " << size << " symmetry " << s;
    }
  }
}

TEST(SymmetryTest, TransformedGamesStayLegalWithTheSameOutcome) {
  std::mt19937 rng(99);
  int games = 0;
  for (Rule rule : {Rule::kFreestyle, Rule::kStandard}) {
    for (const Rules& rules :
         {Rules{3, 3, rule}, Rules{6, 4, rule}, Rules{7, 5, rule}, Rules{15, 5, rule}}) {
      for (int g = 0; g < 12; ++g) {
        const std::vector<int> moves = RandomGame(rules, &rng);
        GameState original(rules);
        for (int m : moves) ASSERT_TRUE(original.Play(m).ok());
        for (int s = 0; s < kNumSymmetries; ++s) {
          GameState a(rules), b(rules);
          for (int m : moves) {
            ASSERT_TRUE(a.Play(m).ok());
            const int tm = TransformPoint(m, s, rules.size);
            const absl::Status st = b.Play(tm);
            ASSERT_TRUE(st.ok()) << st;
            ASSERT_EQ(a.outcome(), b.outcome());
            ASSERT_EQ(b.last_move(), tm);
            for (int p = 0; p < a.num_points(); ++p) {
              ASSERT_EQ(a.at(p), b.at(TransformPoint(p, s, rules.size)));
            }
            // The encoded position transforms the same way.
            ASSERT_TRUE(TransformEncoded(Encode(a), s) == Encode(b))
                << DescribeRules(rules) << " symmetry " << s;
          }
          EXPECT_EQ(b.outcome(), original.outcome());
          EXPECT_TRUE(b.IsTerminal());
        }
        ++games;
      }
    }
  }
  EXPECT_EQ(games, 96);
}

}  // namespace
}  // namespace zf
