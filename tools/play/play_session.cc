#include "tools/play/play_session.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/game/notation.h"

namespace zf::play {
namespace {

constexpr char kHelp[] =
    "  a move: h8 (letter = column, number = row) or 7,7 (x,y from 0)\n"
    "  undo   take back your last move (and the reply)\n"
    "  swap   change colours: the model takes over the side to move\n"
    "  hint   ask the model for a move for you\n"
    "  new    start a new game\n"
    "  board  show the board again\n"
    "  quit   leave (end of input does the same)\n";

}  // namespace

PlaySession::PlaySession(const PlaySessionOptions& options, Evaluator* evaluator, std::istream& in,
                         std::ostream& out)
    : options_(options),
      in_(in),
      out_(out),
      runner_(options.search, evaluator),
      human_(options.human),
      rng_(options.search.seed) {
  runner_.Reset(GameState(options_.rules));
}

std::string PlaySession::Describe(Player p) const {
  return p == Player::kBlack ? "X (black)" : "O (white)";
}

void PlaySession::ShowBoard() { out_ << "\n" << RenderBoard(state()) << "\n"; }

void PlaySession::Rebuild() {
  GameState s(options_.rules);
  for (int16_t m : moves_) s.PlayUnchecked(m);
  runner_.Reset(s);
}

void PlaySession::NewGame() {
  moves_.clear();
  Rebuild();
}

std::string PlaySession::Prompt() const {
  if (state().IsTerminal()) return "game over: undo, new or quit > ";
  return absl::StrCat("move ", moves_.size() + 1, ", you ", Describe(human_), " > ");
}

SearchLimits PlaySession::Limits() const {
  SearchLimits limits;
  limits.progress_interval = options_.tty ? absl::Milliseconds(100) : options_.progress_interval;
  if (options_.move_time > absl::ZeroDuration()) {
    limits.deadline = absl::Now() + options_.move_time;
    limits.playouts = PlayoutsForMemory(options_.max_memory, options_.rules.num_points());
  } else {
    limits.playouts = options_.playouts;
  }
  return limits;
}

void PlaySession::AnnounceResult() {
  const Outcome o = state().outcome();
  if (o == Outcome::kDraw) {
    out_ << "Draw: the board is full.\n";
    return;
  }
  const Player winner = o == Outcome::kBlackWin ? Player::kBlack : Player::kWhite;
  out_ << Describe(winner) << " wins with five in a row: "
       << (winner == human_ ? "you win!" : absl::StrCat(options_.model_name, " wins.")) << "\n";
}

absl::Status PlaySession::Run() {
  out_ << "zerofleet play: " << DescribeRules(options_.rules) << ", you play " << Describe(human_)
       << " against " << options_.model_name << ".\n"
       << "Type a move (h8 or 7,7), or help.\n";
  ShowBoard();
  while (!quit_) {
    if (!state().IsTerminal() && state().to_move() != human_) {
      if (absl::Status s = ModelMove(); !s.ok()) return s;
      continue;
    }
    out_ << Prompt();
    out_.flush();
    std::string line;
    if (!std::getline(in_, line)) {
      out_ << "\nbye\n";
      return absl::OkStatus();
    }
    if (absl::Status s = HandleInput(line); !s.ok()) return s;
  }
  out_ << "bye\n";
  return absl::OkStatus();
}

absl::Status PlaySession::HandleInput(const std::string& line) {
  const std::string input = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line));
  if (input.empty()) return absl::OkStatus();
  if (input == "quit" || input == "exit" || input == "q") {
    quit_ = true;
  } else if (input == "help" || input == "?") {
    out_ << kHelp;
  } else if (input == "board") {
    ShowBoard();
  } else if (input == "new") {
    NewGame();
    out_ << "New game.\n";
    ShowBoard();
  } else if (input == "undo") {
    Undo();
  } else if (input == "swap") {
    human_ = Opponent(human_);
    out_ << "Colours swapped: you now play " << Describe(human_) << ".\n";
  } else if (input == "hint") {
    return Hint();
  } else {
    absl::StatusOr<int> move = ParseMove(input, options_.rules.size);
    if (!move.ok()) {
      out_ << "  not a move: " << move.status().message() << " (type help for commands)\n";
      return absl::OkStatus();
    }
    if (state().IsTerminal()) {
      out_ << "  the game is over: type undo, new or quit\n";
      return absl::OkStatus();
    }
    if (absl::Status s = runner_.Play(*move); !s.ok()) {
      out_ << "  cannot play " << FormatMove(*move, options_.rules.size) << ": " << s.message()
           << "\n";
      return absl::OkStatus();
    }
    moves_.push_back(static_cast<int16_t>(*move));
    // The model's reply shows the board next; show it now only if the game ended.
    if (state().IsTerminal()) {
      ShowBoard();
      AnnounceResult();
    }
  }
  return absl::OkStatus();
}

void PlaySession::Undo() {
  // Only moves of the human's colour can be taken back (black plays the even moves).
  bool has_own = false;
  for (size_t i = 0; i < moves_.size(); ++i) {
    has_own = has_own || (i % 2 == 0) == (human_ == Player::kBlack);
  }
  if (!has_own) {
    out_ << "  nothing to undo\n";
    return;
  }
  do {
    moves_.pop_back();
  } while (!moves_.empty() && (moves_.size() % 2 == 0) != (human_ == Player::kBlack));
  Rebuild();
  out_ << "Took back to move " << moves_.size() + 1 << ".\n";
  ShowBoard();
}

absl::Status PlaySession::Hint() {
  if (state().IsTerminal()) {
    out_ << "  the game is over: type undo, new or quit\n";
    return absl::OkStatus();
  }
  absl::StatusOr<SearchResult> r = runner_.Search(Limits());
  if (!r.ok()) return r.status();
  out_ << "hint: " << FormatMove(r->move, options_.rules.size) << " ("
       << FormatMoveXY(r->move, options_.rules.size) << "), "
       << absl::StrFormat("win %.1f%% for you", 100 * r->win_probability) << "\n";
  return absl::OkStatus();
}

absl::Status PlaySession::ModelMove() {
  const int size = options_.rules.size;
  int move;
  std::string detail;
  if (options_.random_moves) {
    int16_t legal[kMaxPoints];
    const int n = state().LegalMoves(absl::MakeSpan(legal));
    move = legal[std::uniform_int_distribution<int>(0, n - 1)(rng_)];
    detail = "a random move";
  } else {
    bool line_open = false;
    auto show = [&](const SearchResult& p) {
      const std::string text =
          absl::StrFormat("thinking: %d playouts, best %s, win %.1f%%", p.playouts,
                          FormatMove(p.move, size), 100 * p.win_probability);
      if (options_.tty) {
        out_ << "\r\033[K" << text;
        line_open = true;
      } else {
        out_ << text << "\n";
      }
      out_.flush();
    };
    absl::StatusOr<SearchResult> r = runner_.Search(Limits(), show);
    if (line_open) out_ << "\r\033[K";
    if (!r.ok()) return r.status();
    move = r->move;
    detail = absl::StrFormat("%d playouts in %.1f s, win %.1f%% for %s", r->playouts,
                             absl::ToDoubleSeconds(r->elapsed), 100 * r->win_probability,
                             options_.model_name);
  }
  if (absl::Status s = runner_.Play(move); !s.ok()) return s;
  moves_.push_back(static_cast<int16_t>(move));
  ShowBoard();
  out_ << options_.model_name << " plays " << FormatMove(move, size) << " ("
       << FormatMoveXY(move, size) << "): " << detail << "\n";
  if (state().IsTerminal()) AnnounceResult();
  return absl::OkStatus();
}

}  // namespace zf::play
