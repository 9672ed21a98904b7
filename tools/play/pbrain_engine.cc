#include "tools/play/pbrain_engine.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/game/notation.h"

namespace zf::play {
namespace {

constexpr int kPbrainWinLength = 5;
// With a match clock, a move gets at most this share of what is left.
constexpr int64_t kMovesToPlan = 15;

// "7,7" (spaces allowed) -> point; an error names the text.
absl::StatusOr<int> ParseXY(absl::string_view text, int size) {
  std::string compact;
  for (char c : text) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) compact.push_back(c);
  }
  if (compact.find(',') == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("expected x,y but got '", text, "'"));
  }
  return ParseMove(compact, size);
}

}  // namespace

PbrainEngine::PbrainEngine(const PbrainEngineOptions& options, Evaluator* evaluator)
    : options_(options),
      rules_{15, kPbrainWinLength, Rule::kFreestyle},
      runner_(options.search, evaluator) {
  runner_.Reset(GameState(rules_));
}

void PbrainEngine::Reply(std::ostream& out, absl::string_view line) {
  out << line << "\n";
  out.flush();
}

void PbrainEngine::Run(std::istream& in, std::ostream& out) {
  std::string line;
  while (std::getline(in, line)) {
    if (!HandleLine(line, in, out)) return;
  }
}

void PbrainEngine::NewGame() {
  stones_.clear();
  we_are_black_ = true;
  runner_.Reset(GameState(rules_));
}

bool PbrainEngine::HandleLine(absl::string_view raw, std::istream& in, std::ostream& out) {
  const absl::Time start = absl::Now();
  const absl::string_view line = absl::StripAsciiWhitespace(raw);
  if (line.empty()) return true;
  const size_t space = line.find_first_of(" \t");
  const std::string command = absl::AsciiStrToUpper(line.substr(0, space));
  const absl::string_view args =
      space == absl::string_view::npos ? "" : absl::StripAsciiWhitespace(line.substr(space));
  auto needs_start = [&]() {
    if (!started_) Reply(out, absl::StrCat("ERROR ", command, " before START"));
    return !started_;
  };

  if (command == "START" || command == "RECTSTART") {
    HandleStartCommand(command, args, out);
  } else if (command == "RESTART") {
    if (needs_start()) return true;
    NewGame();
    Reply(out, "OK");
  } else if (command == "BEGIN") {
    if (needs_start()) return true;
    if (!stones_.empty()) {
      Reply(out, "ERROR BEGIN on a board with stones (use RESTART first)");
      return true;
    }
    we_are_black_ = true;
    Think(start, out);
  } else if (command == "TURN") {
    if (needs_start()) return true;
    HandleTurn(start, args, out);
  } else if (command == "BOARD") {
    if (needs_start()) {
      SkipBoardLines(in);  // so that they are not read as commands
      return true;
    }
    HandleBoard(start, in, out);
  } else if (command == "INFO") {
    HandleInfo(args, out);
  } else if (command == "TAKEBACK") {
    if (needs_start()) return true;
    HandleTakeback(args, out);
  } else if (command == "END") {
    return false;
  } else if (command == "ABOUT") {
    Reply(out, absl::StrCat("name=\"zerofleet\", version=\"", options_.version,
                            "\", author=\"zerofleet developers\", country=\"Unknown\""));
  } else {
    Reply(out, absl::StrCat("UNKNOWN ", line));
  }
  return true;
}

void PbrainEngine::HandleStartCommand(absl::string_view command, absl::string_view args,
                                      std::ostream& out) {
  if (command == "START") {
    int size;
    if (!absl::SimpleAtoi(args, &size)) {
      Reply(out, absl::StrCat("ERROR START needs a board size, got '", args, "'"));
    } else {
      HandleStart(size, out);
    }
    return;
  }
  std::vector<absl::string_view> wh = absl::StrSplit(args, ',');
  int w, h;
  if (wh.size() != 2 || !absl::SimpleAtoi(absl::StripAsciiWhitespace(wh[0]), &w) ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(wh[1]), &h)) {
    Reply(out, absl::StrCat("ERROR RECTSTART needs width,height, got '", args, "'"));
  } else if (w != h) {
    Reply(out, "ERROR rectangular boards are not supported");
  } else {
    HandleStart(w, out);
  }
}

void PbrainEngine::SkipBoardLines(std::istream& in) {
  std::string line;
  while (std::getline(in, line)) {
    if (absl::AsciiStrToUpper(absl::StripAsciiWhitespace(line)) == "DONE") break;
  }
}

void PbrainEngine::HandleStart(int size, std::ostream& out) {
  if (!options_.startup_error.empty()) {
    Reply(out, absl::StrCat("ERROR ", options_.startup_error));
    return;
  }
  Rules rules = rules_;
  rules.size = size;
  rules.win_length = kPbrainWinLength;
  if (size < kMinBoardSize || size > kMaxBoardSize || !ValidateRules(rules).ok()) {
    Reply(out, absl::StrCat("ERROR unsupported board size ", size, " (zerofleet plays ",
                            kMinBoardSize, "..", kMaxBoardSize, ")"));
    return;
  }
  rules_ = rules;
  started_ = true;
  NewGame();
  Reply(out, "OK");
  if (!greeted_ && !options_.startup_message.empty()) {
    Reply(out, absl::StrCat("MESSAGE ", options_.startup_message));
  }
  greeted_ = true;
}

void PbrainEngine::HandleTurn(absl::Time start, absl::string_view args, std::ostream& out) {
  absl::StatusOr<int> point = ParseXY(args, rules_.size);
  if (!point.ok()) {
    Reply(out, absl::StrCat("ERROR TURN: ", point.status().message()));
    return;
  }
  if (stones_.empty()) we_are_black_ = false;  // the opponent opened
  const Player opponent = we_are_black_ ? Player::kWhite : Player::kBlack;
  if (state().IsTerminal()) {
    Reply(out, "ERROR TURN: the game is over");
    return;
  }
  if (state().to_move() != opponent) {
    Reply(out, "ERROR TURN: it is not the opponent's turn (two TURNs without our move?)");
    return;
  }
  if (absl::Status s = runner_.Play(*point); !s.ok()) {
    Reply(out, absl::StrCat("ERROR TURN ", args, ": ", s.message()));
    return;
  }
  stones_.push_back({static_cast<int16_t>(*point), false});
  if (state().IsTerminal()) {
    Reply(out, "ERROR the game is over after that move");
    return;
  }
  Think(start, out);
}

void PbrainEngine::HandleBoard(absl::Time start, std::istream& in, std::ostream& out) {
  std::vector<Stone> stones;
  std::string error;
  std::string line;
  bool done = false;
  while (std::getline(in, line)) {
    const absl::string_view t = absl::StripAsciiWhitespace(line);
    if (t.empty()) continue;
    if (absl::AsciiStrToUpper(t) == "DONE") {
      done = true;
      break;
    }
    if (!error.empty()) continue;
    std::vector<absl::string_view> parts = absl::StrSplit(t, ',');
    int field;
    if (parts.size() != 3 || !absl::SimpleAtoi(absl::StripAsciiWhitespace(parts[2]), &field)) {
      error = absl::StrCat("bad BOARD line '", t, "' (expected x,y,field)");
      continue;
    }
    absl::StatusOr<int> point = ParseXY(absl::StrCat(parts[0], ",", parts[1]), rules_.size);
    if (!point.ok()) {
      error = absl::StrCat("BOARD line '", t, "': ", point.status().message());
    } else if (field == 3) {
      error = "BOARD field 3 (continuous game) is not supported";
    } else if (field != 1 && field != 2) {
      error = absl::StrCat("BOARD line '", t, "': field must be 1 (own) or 2 (opponent)");
    } else {
      for (const Stone& s : stones) {
        if (s.point == *point) error = absl::StrCat("BOARD: point ", t, " given twice");
      }
      stones.push_back({static_cast<int16_t>(*point), field == 1});
    }
  }
  if (!done) return;  // end of input inside BOARD: nothing to answer
  if (!error.empty()) {
    Reply(out, absl::StrCat("ERROR ", error));
    return;
  }
  int own = 0;
  for (const Stone& s : stones) own += s.own;
  const int opp = static_cast<int>(stones.size()) - own;
  // We are to move: equal counts mean we play black, one more opponent stone means white.
  if (own != opp && opp != own + 1) {
    Reply(out, absl::StrFormat("ERROR BOARD: %d own and %d opponent stones; it cannot be our turn",
                               own, opp));
    return;
  }
  const std::vector<Stone> previous = stones_;
  const bool previous_black = we_are_black_;
  stones_ = std::move(stones);
  we_are_black_ = own == opp;
  absl::Status s = Rebuild();
  if (s.ok() && state().IsTerminal()) {
    s = absl::InvalidArgumentError("the position already has five in a row");
  }
  if (!s.ok()) {
    stones_ = previous;
    we_are_black_ = previous_black;
    Rebuild().IgnoreError();
    Reply(out, absl::StrCat("ERROR BOARD: ", s.message()));
    return;
  }
  Think(start, out);
}

absl::Status PbrainEngine::Rebuild() {
  std::vector<int16_t> black, white;
  for (const Stone& s : stones_) (s.own == we_are_black_ ? black : white).push_back(s.point);
  if (black.size() != white.size() && black.size() != white.size() + 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(black.size(), " black and ", white.size(), " white stones cannot alternate"));
  }
  GameState state(rules_);
  for (size_t i = 0; i < black.size() + white.size(); ++i) {
    const int16_t point = i % 2 == 0 ? black[i / 2] : white[i / 2];
    if (state.IsTerminal()) {
      return absl::InvalidArgumentError("five in a row before all stones were placed");
    }
    if (absl::Status s = state.Play(point); !s.ok()) return s;
  }
  runner_.Reset(state);
  return absl::OkStatus();
}

void PbrainEngine::HandleInfo(absl::string_view args, std::ostream& out) {
  const size_t space = args.find_first_of(" \t");
  const std::string key = absl::AsciiStrToLower(args.substr(0, space));
  const absl::string_view value =
      space == absl::string_view::npos ? "" : absl::StripAsciiWhitespace(args.substr(space));
  int64_t number = 0;
  const bool numeric = absl::SimpleAtoi(value, &number);
  // INFO has no answer; unusable values only earn a DEBUG note.
  if (key == "timeout_turn" || key == "timeout_match" || key == "time_left" ||
      key == "max_memory" || key == "rule") {
    if (!numeric || number < 0) {
      Reply(out, absl::StrCat("DEBUG ignoring INFO ", key, " '", value, "'"));
      return;
    }
  }
  if (key == "timeout_turn") {
    timeout_turn_ms_ = number;
  } else if (key == "timeout_match") {
    timeout_match_ms_ = number;
  } else if (key == "time_left") {
    time_left_ms_ = number;
  } else if (key == "max_memory") {
    max_memory_ = number;
  } else if (key == "folder") {
    folder_ = std::string(value);
  } else if (key == "rule") {
    const Rule rule = (number & 1) ? Rule::kStandard : Rule::kFreestyle;
    if (number & 2) Reply(out, "MESSAGE continuous game is not supported");
    if (number & 4) Reply(out, "MESSAGE renju is not supported; playing gomoku rules");
    if (rule != rules_.rule) {
      rules_.rule = rule;
      if (!Rebuild().ok()) NewGame();
    }
  }
  // game_type, thread_num, evaluate, and keys from newer managers: nothing to do.
}

void PbrainEngine::HandleTakeback(absl::string_view args, std::ostream& out) {
  absl::StatusOr<int> point = ParseXY(args, rules_.size);
  if (!point.ok()) {
    Reply(out, absl::StrCat("ERROR TAKEBACK: ", point.status().message()));
    return;
  }
  auto it = std::find_if(stones_.begin(), stones_.end(),
                         [&](const Stone& s) { return s.point == *point; });
  if (it == stones_.end()) {
    Reply(out, absl::StrCat("ERROR TAKEBACK: no stone at ", args));
    return;
  }
  const Stone removed = *it;
  const size_t index = static_cast<size_t>(it - stones_.begin());
  stones_.erase(it);
  if (absl::Status s = Rebuild(); !s.ok()) {
    stones_.insert(stones_.begin() + index, removed);
    Rebuild().IgnoreError();
    Reply(out, absl::StrCat("ERROR TAKEBACK: ", s.message()));
    return;
  }
  Reply(out, "OK");
}

SearchLimits PbrainEngine::MoveLimits(absl::Time start) const {
  absl::Duration budget =
      timeout_turn_ms_ >= 0 ? absl::Milliseconds(timeout_turn_ms_) : options_.default_turn_time;
  if (timeout_match_ms_ > 0 && time_left_ms_ >= 0) {
    budget = std::min(budget, absl::Milliseconds(time_left_ms_ / kMovesToPlan));
  }
  const absl::Duration margin = std::max(options_.min_margin, budget * options_.margin_fraction);
  SearchLimits limits;
  limits.deadline = start + std::max(absl::ZeroDuration(), budget - margin);
  limits.playouts = MemoryCap();
  if (options_.max_playouts > 0) limits.playouts = std::min(limits.playouts, options_.max_playouts);
  limits.progress_interval = absl::InfiniteDuration();
  return limits;
}

int64_t PbrainEngine::MemoryCap() const {
  const int64_t memory = max_memory_ > 0 ? max_memory_ : options_.default_max_memory;
  return PlayoutsForMemory(memory, rules_.num_points());
}

void PbrainEngine::Think(absl::Time start, std::ostream& out) {
  SearchLimits limits = MoveLimits(start);
  // The subtree kept from the last move already holds about root_visits nodes.
  const int64_t room = MemoryCap() - runner_.Snapshot().root_visits;
  limits.playouts = std::max<int64_t>(1, std::min(limits.playouts, room));
  absl::StatusOr<SearchResult> result = runner_.Search(limits);
  if (!result.ok()) {
    Reply(out, absl::StrCat("ERROR search failed: ", result.status().message()));
    return;
  }
  const int move = result->move;
  if (absl::Status s = runner_.Play(move); !s.ok()) {
    Reply(out,
          absl::StrCat("ERROR cannot play ", FormatMoveXY(move, rules_.size), ": ", s.message()));
    return;
  }
  stones_.push_back({static_cast<int16_t>(move), true});
  Reply(out,
        absl::StrFormat("DEBUG zerofleet: %s, %d playouts in %.2f s, win %.1f%%",
                        FormatMove(move, rules_.size), result->playouts,
                        absl::ToDoubleSeconds(result->elapsed), 100 * result->win_probability));
  Reply(out, FormatMoveXY(move, rules_.size));
}

}  // namespace zf::play
