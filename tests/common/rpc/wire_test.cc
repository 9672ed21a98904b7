// Packed positions and fp16 policies (common/rpc/wire.h).
#include "common/rpc/wire.h"

#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace zf {
namespace {

// A random legal-looking game prefix on `rules`.
EncodedPosition RandomPosition(const Rules& rules, std::mt19937_64& rng, int moves) {
  GameState state(rules);
  int16_t legal[kMaxPoints];
  for (int i = 0; i < moves && !state.IsTerminal(); ++i) {
    const int n = state.LegalMoves(absl::MakeSpan(legal));
    state.PlayUnchecked(legal[rng() % n]);
  }
  return Encode(state);
}

TEST(WireTest, PackedSizeIsCompact) {
  EXPECT_EQ(PackedPositionBytes(15), 61u);  // 3 + 2 * 29
  EXPECT_EQ(PackedPositionBytes(20), 103u);
  EXPECT_EQ(PackedPositionBytes(3), 7u);  // 9 points: 2 bytes per plane
}

TEST(WireTest, RoundTripsRandomPositions) {
  std::mt19937_64 rng(3);
  for (const Rules& rules : {Rules{3, 3, Rule::kFreestyle}, Rules{9, 5, Rule::kStandard},
                             Rules{15, 5, Rule::kFreestyle}, Rules{20, 5, Rule::kFreestyle}}) {
    for (int moves : {0, 1, 2, 7, 40}) {
      const EncodedPosition pos = RandomPosition(rules, rng, moves);
      std::string bytes;
      AppendPackedPosition(pos, &bytes);
      ASSERT_EQ(bytes.size(), PackedPositionBytes(rules.size));
      absl::StatusOr<EncodedPosition> back = UnpackPosition(bytes, rules);
      ASSERT_TRUE(back.ok()) << back.status();
      EXPECT_TRUE(*back == pos) << rules.size << " after " << moves;
    }
  }
}

TEST(WireTest, UnpacksSeveralBackToBack) {
  std::mt19937_64 rng(5);
  const Rules rules{15, 5, Rule::kFreestyle};
  std::vector<EncodedPosition> in;
  std::string bytes;
  for (int i = 0; i < 5; ++i) {
    in.push_back(RandomPosition(rules, rng, 3 * i));
    AppendPackedPosition(in.back(), &bytes);
  }
  std::vector<EncodedPosition> out(5);
  ASSERT_TRUE(UnpackPositions(bytes, rules, 5, absl::MakeSpan(out)).ok());
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(out[i] == in[i]);
  EXPECT_EQ(UnpackPositions(bytes.substr(1), rules, 5, absl::MakeSpan(out)).code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<EncodedPosition> four(4);
  EXPECT_FALSE(UnpackPositions(bytes, rules, 4, absl::MakeSpan(four)).ok());
}

class MalformedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(9);
    pos_ = RandomPosition(rules_, rng, 6);
    AppendPackedPosition(pos_, &bytes_);
  }
  absl::Status Unpack() { return UnpackPosition(bytes_, rules_).status(); }
  size_t PlaneBytes() const { return (bytes_.size() - 3) / 2; }

  const Rules rules_{9, 5, Rule::kFreestyle};  // 81 points: 11 bytes per plane, 7 spare bits
  EncodedPosition pos_;
  std::string bytes_;
};

TEST_F(MalformedTest, WrongLength) {
  bytes_.pop_back();
  EXPECT_EQ(Unpack().code(), absl::StatusCode::kInvalidArgument);
  bytes_ += "xx";
  EXPECT_EQ(Unpack().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(MalformedTest, UnknownFlagBits) {
  bytes_[0] = static_cast<char>(bytes_[0] | 0x80);
  EXPECT_EQ(Unpack().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(MalformedTest, BitsPastTheBoard) {
  bytes_[3 + PlaneBytes() - 1] = static_cast<char>(bytes_[3 + PlaneBytes() - 1] | 0x80);
  const absl::Status s = Unpack();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("past the end"), std::string::npos) << s;
}

TEST_F(MalformedTest, PointInBothPlanes) {
  // Find an own stone and set it in the opp plane too.
  int p = 0;
  while (!pos_.IsOwn(p)) ++p;
  bytes_[3 + PlaneBytes() + p / 8] =
      static_cast<char>(bytes_[3 + PlaneBytes() + p / 8] | (1 << (p % 8)));
  const absl::Status s = Unpack();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("both planes"), std::string::npos) << s;
}

TEST_F(MalformedTest, LastMoveOffBoardOrNotAnOpponentStone) {
  bytes_[1] = 81;  // one past the last point
  bytes_[2] = 0;
  EXPECT_EQ(Unpack().code(), absl::StatusCode::kInvalidArgument);
  int p = 0;
  while (!pos_.IsEmpty(p)) ++p;
  bytes_[1] = static_cast<char>(p);
  EXPECT_EQ(Unpack().code(), absl::StatusCode::kInvalidArgument);
  bytes_[1] = bytes_[2] = static_cast<char>(0xFF);  // none: fine
  EXPECT_TRUE(Unpack().ok());
}

TEST_F(MalformedTest, BadBoardSize) {
  EXPECT_FALSE(UnpackPosition(bytes_, Rules{21, 5, Rule::kFreestyle}).ok());
  EXPECT_FALSE(UnpackPosition(bytes_, Rules{0, 5, Rule::kFreestyle}).ok());
}

TEST(HalfTest, ExactValues) {
  EXPECT_EQ(FloatToHalf(0.0f), 0x0000);
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(FloatToHalf(1.0f), 0x3C00);
  EXPECT_EQ(FloatToHalf(0.5f), 0x3800);
  EXPECT_EQ(FloatToHalf(-2.0f), 0xC000);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7BFF);
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7C00);               // rounds to infinity
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -26)), 0x0000);  // under half the smallest subnormal
  EXPECT_EQ(FloatToHalf(INFINITY), 0x7C00);
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(NAN))));
  EXPECT_EQ(HalfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(HalfToFloat(0x7BFF), 65504.0f);
  // Ties go to even: 1 + 2^-11 is halfway between 1 and 1 + 2^-10.
  EXPECT_EQ(FloatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  EXPECT_EQ(FloatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
}

TEST(HalfTest, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const uint16_t x = static_cast<uint16_t>(h);
    if ((x & 0x7C00) == 0x7C00 && (x & 0x3FF)) continue;  // NaN payloads
    EXPECT_EQ(FloatToHalf(HalfToFloat(x)), x) << std::hex << h;
  }
}

TEST(HalfTest, ProbabilitiesKeepElevenBits) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> in(1000);
  for (float& f : in) f = u(rng) * u(rng);
  std::string bytes;
  AppendHalfs(in, &bytes);
  ASSERT_EQ(bytes.size(), 2000u);
  std::vector<float> out(1000);
  ASSERT_TRUE(DecodeHalfs(bytes, absl::MakeSpan(out)).ok());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_NEAR(out[i], in[i], std::max(in[i] * std::ldexp(1.0f, -11), std::ldexp(1.0f, -25)));
  }
  EXPECT_FALSE(DecodeHalfs(bytes.substr(1), absl::MakeSpan(out)).ok());
}

}  // namespace
}  // namespace zf
