#include "common/game/game_record.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/util/bytes.h"
#include "common/util/file_io.h"

namespace zf {
namespace {

constexpr char kMagic[4] = {'Z', 'F', 'G', 'R'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kMaxFrameBytes = 64u << 20;
constexpr uint8_t kResignedBit = 0x80;

const char* ResultName(Outcome o) {
  switch (o) {
    case Outcome::kBlackWin:
      return "black wins";
    case Outcome::kWhiteWin:
      return "white wins";
    case Outcome::kDraw:
      return "draw";
    default:
      return "none";
  }
}

absl::Status Corrupt(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("corrupt game record: ", why));
}

}  // namespace

std::string SerializeGameRecord(const GameRecord& r) {
  ByteWriter w;
  w.U64(r.id);
  w.U8(static_cast<uint8_t>(r.rules.size));
  w.U8(static_cast<uint8_t>(r.rules.win_length));
  w.U8(static_cast<uint8_t>(r.rules.rule));
  w.U8(static_cast<uint8_t>(static_cast<uint8_t>(r.result) | (r.resigned ? kResignedBit : 0)));
  w.U32(static_cast<uint32_t>(r.moves.size()));
  for (const MoveRecord& m : r.moves) {
    w.I16(m.move);
    w.U8(m.full_search ? 1 : 0);
    w.F32(m.root_value);
    w.U16(static_cast<uint16_t>(m.visits.size()));
    for (const auto& [point, visits] : m.visits) {
      w.I16(point);
      w.U32(visits);
    }
  }
  return w.Release();
}

absl::StatusOr<GameRecord> ParseGameRecord(absl::string_view payload) {
  ByteReader r(payload);
  GameRecord rec;
  uint8_t size, k, rule, result;
  uint32_t n_moves;
  if (!r.U64(&rec.id) || !r.U8(&size) || !r.U8(&k) || !r.U8(&rule) || !r.U8(&result) ||
      !r.U32(&n_moves)) {
    return Corrupt("header truncated");
  }
  rec.rules = Rules{size, k, static_cast<Rule>(rule)};
  if (absl::Status s = ValidateRules(rec.rules); !s.ok()) return Corrupt(s.message());
  rec.resigned = (result & kResignedBit) != 0;
  result &= static_cast<uint8_t>(~kResignedBit);
  if (result > static_cast<uint8_t>(Outcome::kDraw)) return Corrupt("bad result code");
  rec.result = static_cast<Outcome>(result);
  if (n_moves > static_cast<uint32_t>(rec.rules.num_points())) return Corrupt("too many moves");
  GameState replay(rec.rules);
  rec.moves.resize(n_moves);
  for (uint32_t i = 0; i < n_moves; ++i) {
    MoveRecord& m = rec.moves[i];
    uint8_t flags;
    uint16_t n_visits;
    if (!r.I16(&m.move) || !r.U8(&flags) || !r.F32(&m.root_value) || !r.U16(&n_visits)) {
      return Corrupt(absl::StrCat("move ", i + 1, " truncated"));
    }
    m.full_search = flags & 1;
    if (n_visits > rec.rules.num_points())
      return Corrupt(absl::StrCat("move ", i + 1, ": bad visit list"));
    m.visits.resize(n_visits);
    for (auto& [point, visits] : m.visits) {
      if (!r.I16(&point) || !r.U32(&visits))
        return Corrupt(absl::StrCat("move ", i + 1, " truncated"));
      if (!replay.IsLegal(point))
        return Corrupt(absl::StrCat("move ", i + 1, ": visit to an illegal point"));
    }
    if (absl::Status s = replay.Play(m.move); !s.ok()) {
      return Corrupt(absl::StrCat("move ", i + 1, ": ", s.message()));
    }
  }
  if (r.remaining() != 0) return Corrupt("trailing bytes");
  if (replay.IsTerminal() && (replay.outcome() != rec.result || rec.resigned)) {
    return Corrupt("result does not match the moves");
  }
  return rec;
}

absl::Status CheckFinishedGame(const GameRecord& record) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("game ", record.id, ": ", why));
  };
  GameState state(record.rules);
  for (size_t i = 0; i < record.moves.size(); ++i) {
    const float v = record.moves[i].root_value;
    if (!(v >= -1.0f && v <= 1.0f)) {
      return bad(absl::StrCat("move ", i + 1, ": root value ", v, " is not in [-1, 1]"));
    }
    if (absl::Status s = state.Play(record.moves[i].move); !s.ok()) {
      return bad(absl::StrCat("move ", i + 1, ": ", s.message()));
    }
  }
  if (record.result == Outcome::kOngoing) return bad("has no result");
  if (state.IsTerminal()) {
    if (record.resigned) return bad("claims a resignation after the game was decided");
    if (state.outcome() != record.result) return bad("result does not match the moves");
    return absl::OkStatus();
  }
  if (!record.resigned) {
    return bad(absl::StrCat("result ", ResultName(record.result), " after ", record.moves.size(),
                            " moves, but no five and no resignation"));
  }
  const Outcome mover_wins =
      state.to_move() == Player::kBlack ? Outcome::kWhiteWin : Outcome::kBlackWin;
  if (record.result != mover_wins) {
    return bad("a resignation must be won by the side that moved last");
  }
  return absl::OkStatus();
}

void AppendFrame(absl::string_view payload, std::string* out) {
  ByteWriter w;
  w.U32(static_cast<uint32_t>(payload.size()));
  w.U32(Crc32(payload));
  out->append(w.data());
  out->append(payload.data(), payload.size());
}

absl::StatusOr<absl::string_view> ReadFrame(absl::string_view data, size_t* pos) {
  ByteReader r(data.substr(*pos));
  uint32_t len, crc;
  absl::string_view payload;
  if (!r.U32(&len) || !r.U32(&crc)) return absl::DataLossError("truncated frame header");
  if (len > kMaxFrameBytes)
    return absl::DataLossError(absl::StrCat("frame length ", len, " too large"));
  if (!r.Bytes(len, &payload)) return absl::DataLossError("truncated frame");
  if (Crc32(payload) != crc) return absl::DataLossError("checksum mismatch");
  *pos += 8 + len;
  return payload;
}

absl::Status WriteGameRecords(const std::string& path, absl::Span<const GameRecord> records) {
  std::string out(kMagic, 4);
  ByteWriter w;
  w.U32(kVersion);
  out += w.data();
  for (const GameRecord& rec : records) AppendFrame(SerializeGameRecord(rec), &out);
  return WriteFileAtomically(path, out);
}

absl::StatusOr<std::vector<GameRecord>> ReadGameRecords(const std::string& path) {
  absl::StatusOr<std::string> data = ReadFile(path);
  if (!data.ok()) return data.status();
  auto fail = [&](absl::string_view why) {
    return absl::DataLossError(absl::StrCat(path, ": ", why));
  };
  // A file cut inside the 8-byte header is "truncated", not "bad magic".
  const size_t head = std::min<size_t>(data->size(), 4);
  if (data->empty() || data->compare(0, head, kMagic, head) != 0) {
    return fail("not a zerofleet game record file (bad magic)");
  }
  if (data->size() < 8) return fail("truncated file header");
  ByteReader header(absl::string_view(*data).substr(4, 4));
  uint32_t version;
  header.U32(&version);
  if (version != kVersion) {
    return fail(
        absl::StrCat("unsupported version ", version, " (this build reads ", kVersion, ")"));
  }
  std::vector<GameRecord> records;
  size_t pos = 8;
  while (pos < data->size()) {
    absl::StatusOr<absl::string_view> payload = ReadFrame(*data, &pos);
    if (!payload.ok()) {
      return fail(absl::StrCat("record ", records.size() + 1, ": ", payload.status().message()));
    }
    absl::StatusOr<GameRecord> rec = ParseGameRecord(*payload);
    if (!rec.ok())
      return fail(absl::StrCat("record ", records.size() + 1, ": ", rec.status().message()));
    records.push_back(*std::move(rec));
  }
  return records;
}

}  // namespace zf
