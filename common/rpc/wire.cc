#include "common/rpc/wire.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace zf {
namespace {

uint8_t PlaneByte(const std::array<uint64_t, kPlaneWords>& plane, size_t i) {
  return static_cast<uint8_t>(plane[i >> 3] >> (8 * (i & 7)));
}

}  // namespace

void AppendPackedPosition(const EncodedPosition& pos, std::string* out) {
  const size_t points = size_t{pos.size} * pos.size;
  const size_t plane_bytes = (points + 7) / 8;
  const size_t start = out->size();
  out->resize(start + 3 + 2 * plane_bytes);
  uint8_t* p = reinterpret_cast<uint8_t*>(&(*out)[start]);
  p[0] = pos.to_move == Player::kWhite ? 1 : 0;
  const uint16_t last = pos.last_move < 0 ? kWireNoMove : static_cast<uint16_t>(pos.last_move);
  p[1] = static_cast<uint8_t>(last & 0xFF);
  p[2] = static_cast<uint8_t>(last >> 8);
  for (size_t i = 0; i < plane_bytes; ++i) {
    p[3 + i] = PlaneByte(pos.own, i);
    p[3 + plane_bytes + i] = PlaneByte(pos.opp, i);
  }
}

absl::StatusOr<EncodedPosition> UnpackPosition(absl::string_view bytes, const Rules& rules) {
  const int n = rules.size;
  if (n < 3 || n > kMaxBoardSize) {
    return absl::InvalidArgumentError(absl::StrCat("board size ", n, " out of range"));
  }
  const size_t points = static_cast<size_t>(n) * n;
  const size_t plane_bytes = (points + 7) / 8;
  if (bytes.size() != 3 + 2 * plane_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("packed position is ", bytes.size(), " bytes; ",
                                                   n, "x", n, " needs ", 3 + 2 * plane_bytes));
  }
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  if (p[0] & ~uint8_t{1}) {
    return absl::InvalidArgumentError(absl::StrCat("unknown flag bits 0x", absl::Hex(p[0])));
  }
  EncodedPosition pos;
  pos.size = static_cast<uint8_t>(n);
  pos.win_length = static_cast<uint8_t>(rules.win_length);
  pos.rule = rules.rule;
  pos.to_move = (p[0] & 1) ? Player::kWhite : Player::kBlack;
  for (size_t i = 0; i < plane_bytes; ++i) {
    pos.own[i >> 3] |= uint64_t{p[3 + i]} << (8 * (i & 7));
    pos.opp[i >> 3] |= uint64_t{p[3 + plane_bytes + i]} << (8 * (i & 7));
  }
  // Bits past the board: only the last byte of each plane can hold them.
  const int used = static_cast<int>(points % 8);
  if (used != 0) {
    const uint8_t extra = static_cast<uint8_t>(0xFF << used);
    if ((p[3 + plane_bytes - 1] & extra) || (p[3 + 2 * plane_bytes - 1] & extra)) {
      return absl::InvalidArgumentError("stone bits set past the end of the board");
    }
  }
  for (int w = 0; w < kPlaneWords; ++w) {
    if (pos.own[w] & pos.opp[w]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "point ", w * 64 + __builtin_ctzll(pos.own[w] & pos.opp[w]), " is in both planes"));
    }
  }
  const uint16_t last = static_cast<uint16_t>(p[1] | (p[2] << 8));
  if (last == kWireNoMove) {
    pos.last_move = kNoMove;
  } else if (last >= points) {
    return absl::InvalidArgumentError(
        absl::StrCat("last move ", last, " is off the ", n, "x", n, " board"));
  } else if (!pos.IsOpp(last)) {
    return absl::InvalidArgumentError(
        absl::StrCat("last move ", last, " is not an opponent stone"));
  } else {
    pos.last_move = static_cast<int16_t>(last);
  }
  return pos;
}

absl::Status UnpackPositions(absl::string_view bytes, const Rules& rules, int count,
                             absl::Span<EncodedPosition> out) {
  const size_t each = PackedPositionBytes(rules.size);
  if (count < 0 || out.size() != static_cast<size_t>(count) || bytes.size() != each * count) {
    return absl::InvalidArgumentError(absl::StrCat("positions are ", bytes.size(), " bytes; ",
                                                   count, " positions of ", rules.size, "x",
                                                   rules.size, " need ", each * count));
  }
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<EncodedPosition> pos = UnpackPosition(bytes.substr(i * each, each), rules);
    if (!pos.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("position ", i, ": ", pos.status().message()));
    }
    out[i] = *pos;
  }
  return absl::OkStatus();
}

uint16_t FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  const uint32_t abs = x & 0x7FFFFFFF;
  if (abs >= 0x7F800000) {  // inf or NaN
    return static_cast<uint16_t>(sign | 0x7C00 | (abs > 0x7F800000 ? 0x200 : 0));
  }
  if (abs >= 0x477FF000) return static_cast<uint16_t>(sign | 0x7C00);  // rounds past max half
  if (abs < 0x38800000) {               // below the smallest normal half: subnormal or zero
    if (abs < 0x33000000) return sign;  // under half the smallest subnormal
    const uint32_t mant = (abs & 0x7FFFFF) | 0x800000;
    // value = mant * 2^(exp-150) and the half subnormal unit is 2^-24: shift by 126 - exp.
    const int shift = 126 - static_cast<int>(abs >> 23);
    uint32_t h = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (h & 1))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  // Normal: rebias exponent (127 -> 15) and round the 13 dropped mantissa bits to nearest even.
  uint32_t h = (abs - 0x38000000) >> 13;
  const uint32_t rem = abs & 0x1FFF;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) ++h;
  return static_cast<uint16_t>(sign | h);
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1F;
  const uint32_t mant = h & 0x3FF;
  uint32_t x;
  if (exp == 0) {
    if (mant == 0) {
      x = sign;
    } else {  // subnormal: mant * 2^-24
      const float f = static_cast<float>(mant) * (1.0f / 16777216.0f);
      std::memcpy(&x, &f, 4);
      x |= sign;
    }
  } else if (exp == 31) {
    x = sign | 0x7F800000 | (mant << 13);
  } else {
    x = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

void AppendHalfs(absl::Span<const float> values, std::string* out) {
  const size_t start = out->size();
  out->resize(start + 2 * values.size());
  auto* p = reinterpret_cast<uint8_t*>(&(*out)[start]);
  for (size_t i = 0; i < values.size(); ++i) {
    const uint16_t h = FloatToHalf(values[i]);
    p[2 * i] = static_cast<uint8_t>(h & 0xFF);
    p[2 * i + 1] = static_cast<uint8_t>(h >> 8);
  }
}

absl::Status DecodeHalfs(absl::string_view bytes, absl::Span<float> out) {
  if (bytes.size() != 2 * out.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected ", 2 * out.size(), " bytes of fp16, got ", bytes.size()));
  }
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = HalfToFloat(static_cast<uint16_t>(p[2 * i] | (p[2 * i + 1] << 8)));
  }
  return absl::OkStatus();
}

}  // namespace zf
