#include "common/game/notation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace zf {

std::string FormatMove(int point, int size) {
  if (point < 0 || point >= size * size) return "pass";
  return absl::StrCat(std::string(1, static_cast<char>('a' + point % size)), point / size + 1);
}

std::string FormatMoveXY(int point, int size) {
  return absl::StrCat(point % size, ",", point / size);
}

absl::StatusOr<int> ParseMove(absl::string_view text, int size) {
  const absl::string_view t = absl::StripAsciiWhitespace(text);
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("bad move '", t, "': ", why));
  };
  if (t.empty()) return bad("empty");
  int x, y;
  if (const size_t comma = t.find(','); comma != absl::string_view::npos) {
    if (!absl::SimpleAtoi(t.substr(0, comma), &x) || !absl::SimpleAtoi(t.substr(comma + 1), &y)) {
      return bad("expected x,y with whole numbers");
    }
  } else {
    const char c = absl::ascii_tolower(static_cast<unsigned char>(t[0]));
    if (c < 'a' || c > 'z') return bad("expected a letter and a number (h8) or x,y");
    x = c - 'a';
    int row;
    if (!absl::SimpleAtoi(t.substr(1), &row)) return bad("expected a row number after the letter");
    y = row - 1;
  }
  if (x < 0 || x >= size || y < 0 || y >= size) {
    return bad(absl::StrCat("off the ", size, "x", size, " board"));
  }
  return y * size + x;
}

std::string FormatMoveList(absl::Span<const int16_t> moves, int size) {
  std::string out;
  for (int16_t m : moves) absl::StrAppend(&out, out.empty() ? "" : " ", FormatMove(m, size));
  return out;
}

absl::StatusOr<std::vector<int16_t>> ParseMoveList(absl::string_view text, int size) {
  std::vector<int16_t> moves;
  for (absl::string_view token :
       absl::StrSplit(text, absl::ByAnyChar(" \t\r\n;"), absl::SkipEmpty())) {
    absl::StatusOr<int> m = ParseMove(token, size);
    if (!m.ok()) return m.status();
    moves.push_back(static_cast<int16_t>(*m));
  }
  return moves;
}

absl::StatusOr<GameState> PositionFromMoveList(const Rules& rules, absl::string_view text) {
  if (absl::Status s = ValidateRules(rules); !s.ok()) return s;
  absl::StatusOr<std::vector<int16_t>> moves = ParseMoveList(text, rules.size);
  if (!moves.ok()) return moves.status();
  GameState state(rules);
  for (size_t i = 0; i < moves->size(); ++i) {
    if (absl::Status s = state.Play((*moves)[i]); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "move ", i + 1, " (", FormatMove((*moves)[i], rules.size), "): ", s.message()));
    }
  }
  return state;
}

std::string RenderBoard(const GameState& state) {
  const int n = state.size();
  std::string out = "   ";
  for (int x = 0; x < n; ++x) absl::StrAppend(&out, " ", std::string(1, 'a' + x), " ");
  out += "\n";
  for (int y = 0; y < n; ++y) {
    absl::StrAppend(&out, y + 1 < 10 ? " " : "", y + 1, " ");
    for (int x = 0; x < n; ++x) {
      const int p = y * n + x;
      const Cell c = state.at(p);
      const char stone = c == Cell::kBlack ? 'X' : c == Cell::kWhite ? 'O' : '.';
      if (p == state.last_move()) {
        absl::StrAppend(&out, "[", std::string(1, stone), "]");
      } else {
        absl::StrAppend(&out, " ", std::string(1, stone), " ");
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace zf
