#include "learner/position_codec.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/game/rules.h"

namespace zf {
namespace {

constexpr int kHeaderBytes = 7;
constexpr int kMaxOrder = 7;

class BitWriter {
 public:
  explicit BitWriter(std::string* out) : out_(out) {}
  void Bit(bool b) {
    if (used_ == 0) out_->push_back(0);
    if (b) out_->back() = static_cast<char>(out_->back() | (1 << used_));
    used_ = (used_ + 1) & 7;
  }
  // The low `n` bits of `v`, most significant first.
  void Bits(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) Bit((v >> i) & 1);
  }

 private:
  std::string* out_;
  int used_ = 0;  // bits used in the last byte (0 = start a new byte)
};

class BitReader {
 public:
  explicit BitReader(absl::string_view in) : in_(in) {}
  bool Bit(bool* b) {
    if (pos_ >= in_.size() * 8) return false;
    *b = (static_cast<unsigned char>(in_[pos_ >> 3]) >> (pos_ & 7)) & 1;
    ++pos_;
    return true;
  }
  bool Bits(int n, uint64_t* v) {
    uint64_t r = 0;
    for (int i = 0; i < n; ++i) {
      bool b;
      if (!Bit(&b)) return false;
      r = (r << 1) | b;
    }
    *v = r;
    return true;
  }
  // Bits left unread in the final byte must be padding.
  bool AtPaddedEnd() const { return (pos_ + 7) / 8 == in_.size(); }

 private:
  absl::string_view in_;
  size_t pos_ = 0;
};

int BitLength(uint64_t x) {
  int n = 0;
  while (x) {
    ++n;
    x >>= 1;
  }
  return n;
}

int ExpGolombBits(uint64_t v, int order) {
  const int n = BitLength(v + (uint64_t{1} << order));
  return 2 * n - 1 - order;
}

void WriteExpGolomb(uint64_t v, int order, BitWriter* w) {
  const uint64_t x = v + (uint64_t{1} << order);
  const int n = BitLength(x);
  for (int i = 0; i < n - 1 - order; ++i) w->Bit(false);
  w->Bits(x, n);
}

bool ReadExpGolomb(int order, BitReader* r, uint64_t* v) {
  int zeros = 0;
  for (;;) {
    bool b;
    if (!r->Bit(&b)) return false;
    if (b) break;
    if (++zeros > 40) return false;  // counts are u32; longer codes are corruption
  }
  uint64_t rest;
  if (!r->Bits(zeros + order, &rest)) return false;
  *v = ((uint64_t{1} << (zeros + order)) | rest) - (uint64_t{1} << order);
  return true;
}

int8_t Quantize(float v) {
  return static_cast<int8_t>(std::lround(std::clamp(v, -1.0f, 1.0f) * 127.0f));
}

absl::Status Corrupt(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("replay record corrupt: ", why));
}

// Parses everything but the visit counts, which go to on_count(point, count) for every empty
// point in order.
template <typename OnCount>
absl::Status DecodeCore(absl::string_view record, EncodedPosition* pos, float* value,
                        float* root_value, OnCount on_count) {
  if (record.size() < kHeaderBytes) return Corrupt("shorter than its header");
  const auto byte = [&](int i) { return static_cast<unsigned char>(record[i]); };
  const int n = byte(0);
  const int k = byte(1);
  const int flags = byte(2);
  const int rule = flags & 3;
  const int order = (flags >> 3) & 7;
  Rules rules;
  rules.size = n;
  rules.win_length = k;
  rules.rule = static_cast<Rule>(rule);
  if (rule > static_cast<int>(Rule::kStandard) || (flags >> 6) != 0 || !ValidateRules(rules).ok()) {
    return Corrupt(absl::StrCat("bad rules or flags (size ", n, ", k ", k, ", flags ", flags, ")"));
  }
  const int points = n * n;
  const int16_t last = static_cast<int16_t>(byte(3) | (byte(4) << 8));
  if (last < kNoMove || last >= points) return Corrupt(absl::StrCat("last move ", last));
  *pos = EncodedPosition{};
  pos->size = static_cast<uint8_t>(n);
  pos->win_length = static_cast<uint8_t>(k);
  pos->rule = rules.rule;
  pos->to_move = (flags & 4) ? Player::kWhite : Player::kBlack;
  pos->last_move = last;
  *value = static_cast<int8_t>(byte(5)) / 127.0f;
  *root_value = static_cast<int8_t>(byte(6)) / 127.0f;

  BitReader r(record.substr(kHeaderBytes));
  std::array<uint64_t, kPlaneWords> occupied{};
  for (int p = 0; p < points; ++p) {
    bool b;
    if (!r.Bit(&b)) return Corrupt("truncated in the stones");
    if (b) occupied[p >> 6] |= uint64_t{1} << (p & 63);
  }
  for (int p = 0; p < points; ++p) {
    if (!EncodedPosition::Bit(occupied, p)) continue;
    bool own;
    if (!r.Bit(&own)) return Corrupt("truncated in the stone colours");
    (own ? pos->own : pos->opp)[p >> 6] |= uint64_t{1} << (p & 63);
  }
  for (int p = 0; p < points; ++p) {
    if (EncodedPosition::Bit(occupied, p)) continue;
    uint64_t v;
    if (!ReadExpGolomb(order, &r, &v) || v > UINT32_MAX) {
      return Corrupt("truncated or bad visit count");
    }
    if (v > 0) on_count(p, static_cast<uint32_t>(v));
  }
  if (!r.AtPaddedEnd()) return Corrupt("trailing bytes");
  return absl::OkStatus();
}

}  // namespace

void EncodeCompact(const TrainingPosition& tp, std::string* out) {
  const EncodedPosition& pos = tp.position;
  const int n = pos.size;
  const int points = n * n;
  // Dense counts over the empty points, in point order.
  std::vector<uint32_t> counts(points, 0);
  for (const auto& [point, count] : tp.visits) counts[point] = count;
  int order = 0;
  int64_t best_bits = -1;
  for (int g = 0; g <= kMaxOrder; ++g) {
    int64_t bits = 0;
    for (int p = 0; p < points; ++p) {
      if (pos.IsEmpty(p)) bits += ExpGolombBits(counts[p], g);
    }
    if (best_bits < 0 || bits < best_bits) {
      best_bits = bits;
      order = g;
    }
  }
  out->push_back(static_cast<char>(n));
  out->push_back(static_cast<char>(pos.win_length));
  out->push_back(static_cast<char>(static_cast<int>(pos.rule) |
                                   (pos.to_move == Player::kWhite ? 4 : 0) | (order << 3)));
  const uint16_t last = static_cast<uint16_t>(pos.last_move);
  out->push_back(static_cast<char>(last & 0xff));
  out->push_back(static_cast<char>(last >> 8));
  out->push_back(static_cast<char>(Quantize(tp.value)));
  out->push_back(static_cast<char>(Quantize(tp.root_value)));
  BitWriter w(out);
  for (int p = 0; p < points; ++p) w.Bit(!pos.IsEmpty(p));
  for (int p = 0; p < points; ++p) {
    if (!pos.IsEmpty(p)) w.Bit(pos.IsOwn(p));
  }
  for (int p = 0; p < points; ++p) {
    if (pos.IsEmpty(p)) WriteExpGolomb(counts[p], order, &w);
  }
}

absl::StatusOr<TrainingPosition> DecodeCompact(absl::string_view record) {
  TrainingPosition tp;
  absl::Status s = DecodeCore(record, &tp.position, &tp.value, &tp.root_value,
                              [&](int p, uint32_t v) { tp.visits.emplace_back(p, v); });
  if (!s.ok()) return s;
  return tp;
}

absl::Status DecodeCompactInto(absl::string_view record, EncodedPosition* position,
                               absl::Span<float> policy, float* value) {
  float root_value;
  uint64_t total = 0;
  std::fill(policy.begin(), policy.end(), 0.0f);
  const int n = CompactBoardSize(record);
  if (policy.size() != static_cast<size_t>(n) * n) {
    return absl::InvalidArgumentError(absl::StrCat("policy span holds ", policy.size(),
                                                   " floats; the record is for ", n, "x", n));
  }
  absl::Status s = DecodeCore(record, position, value, &root_value, [&](int p, uint32_t v) {
    policy[p] = static_cast<float>(v);
    total += v;
  });
  if (!s.ok()) return s;
  if (total == 0) return Corrupt("no visits");
  // Same arithmetic as TrainingPosition::PolicyTarget, so both give identical floats.
  const double t = static_cast<double>(total);
  for (float& x : policy) {
    if (x != 0) x = static_cast<float>(static_cast<double>(x) / t);
  }
  return absl::OkStatus();
}

}  // namespace zf
