#include "tools/play/pbrain_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace zf::play {
namespace {

int64_t Millis(absl::Duration d) { return absl::ToInt64Milliseconds(d); }

}  // namespace

PbrainClient::PbrainClient(const PbrainClientOptions& options, const Rules& rules)
    : options_(options), rules_(rules) {}

absl::StatusOr<std::unique_ptr<PbrainClient>> PbrainClient::Start(
    const PbrainClientOptions& options, const Rules& rules) {
  if (options.command.empty()) return absl::InvalidArgumentError("no engine command");
  if (rules.win_length != 5) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pbrain engines play five in a row; cannot play win length ", rules.win_length));
  }
  // A dead engine must not kill us on the next write.
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, nullptr);

  std::unique_ptr<PbrainClient> client(new PbrainClient(options, rules));
  if (absl::Status s = client->Spawn(); !s.ok()) return s;
  const std::string start = absl::StrCat("START ", rules.size);
  auto fail = [&](absl::string_view why) {
    const std::string ended = client->Kill();
    return absl::UnavailableError(
        absl::StrCat("engine '", options.command, "' ", why, " (", ended, ")"));
  };
  if (absl::Status s = client->Send(start); !s.ok()) return fail(s.message());
  absl::StatusOr<std::optional<std::string>> reply = client->ReadLine(options.start_timeout);
  if (!reply.ok()) return fail(absl::StrCat("failed on ", start, ": ", reply.status().message()));
  if (!reply->has_value()) {
    return fail(
        absl::StrCat("did not answer ", start, " within ", Millis(options.start_timeout), " ms"));
  }
  if (!absl::StartsWithIgnoreCase(**reply, "OK")) {
    return fail(absl::StrCat("refused ", start, ": ", **reply));
  }
  const std::string info[] = {
      absl::StrCat("INFO timeout_turn ", Millis(options.turn_time)),
      "INFO timeout_match 0",
      "INFO time_left 2147483647",
      absl::StrCat("INFO max_memory ", options.max_memory),
      "INFO game_type 1",
      absl::StrCat("INFO rule ", rules.rule == Rule::kStandard ? 1 : 0),
  };
  for (const std::string& line : info) {
    if (absl::Status s = client->Send(line); !s.ok()) return fail(s.message());
  }
  return client;
}

absl::Status PbrainClient::Spawn() {
  int to_child[2], from_child[2];
  if (pipe2(to_child, O_CLOEXEC) != 0) return absl::InternalError(std::strerror(errno));
  if (pipe2(from_child, O_CLOEXEC) != 0) {
    close(to_child[0]);
    close(to_child[1]);
    return absl::InternalError(std::strerror(errno));
  }
  const pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) close(fd);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. Its own process group, so a kill
    // reaches whatever the shell starts.
    setpgid(0, 0);
    dup2(to_child[0], STDIN_FILENO);
    dup2(from_child[1], STDOUT_FILENO);
    execl("/bin/sh", "sh", "-c", options_.command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);  // also here: whichever runs first wins the race
  close(to_child[0]);
  close(from_child[1]);
  pid_ = pid;
  to_engine_ = to_child[1];
  from_engine_ = from_child[0];
  return absl::OkStatus();
}

PbrainClient::~PbrainClient() {
  if (pid_ <= 0) return;
  // Ask politely, give it a moment, then make sure.
  if (to_engine_ >= 0 && Send("END").ok()) {
    close(to_engine_);
    to_engine_ = -1;
    const absl::Time until = absl::Now() + absl::Milliseconds(200);
    while (absl::Now() < until) {
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        kill(-pid_, SIGKILL);  // anything the engine left behind in its group
        pid_ = -1;
        break;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
  Kill();
}

std::string PbrainClient::Kill() {
  std::string how = "engine already stopped";
  if (pid_ > 0) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) {
      how = absl::StrCat("exit status ", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
      how = WTERMSIG(status) == SIGKILL ? "killed" : absl::StrCat("signal ", WTERMSIG(status));
    }
    pid_ = -1;
  }
  if (to_engine_ >= 0) close(to_engine_);
  if (from_engine_ >= 0) close(from_engine_);
  to_engine_ = from_engine_ = -1;
  deadline_ = absl::InfiniteFuture();
  return how;
}

absl::Status PbrainClient::Send(const std::string& line) {
  if (to_engine_ < 0) return absl::FailedPreconditionError("engine is not running");
  const std::string data = line + "\n";
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = write(to_engine_, data.data() + sent, data.size() - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot write to the engine: ", std::strerror(errno)));
    }
    sent += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> PbrainClient::ReadLine(absl::Duration wait) {
  const absl::Time until = absl::Now() + wait;
  while (true) {
    // 1. A complete line in the buffer?
    size_t newline;
    while ((newline = buffer_.find_first_of("\r\n")) != std::string::npos) {
      std::string line(absl::StripAsciiWhitespace(absl::string_view(buffer_).substr(0, newline)));
      buffer_.erase(0, newline + 1);
      if (line.empty() || absl::StartsWithIgnoreCase(line, "MESSAGE") ||
          absl::StartsWithIgnoreCase(line, "DEBUG")) {
        continue;
      }
      return std::optional<std::string>(std::move(line));
    }
    if (eof_ || from_engine_ < 0) {
      return absl::UnavailableError("the engine closed its output (exited or crashed)");
    }
    // 2. Wait for more bytes.
    const int64_t ms = std::max<int64_t>(0, Millis(until - absl::Now()));
    pollfd pfd{from_engine_, POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(ms, 1 << 30)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::optional<std::string>();
    char chunk[4096];
    const ssize_t n = read(from_engine_, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof_ = true;
      continue;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    if (buffer_.size() > (1 << 20)) return absl::DataLossError("the engine sent a 1 MiB line");
  }
}

absl::Status PbrainClient::RequestMove(absl::Span<const int16_t> moves) {
  if (deadline_ != absl::InfiniteFuture()) {
    return absl::FailedPreconditionError("a move request is already pending");
  }
  const int n = static_cast<int>(moves.size());
  const int size = rules_.size;
  auto xy = [size](int point) { return absl::StrCat(point % size, ",", point / size); };
  absl::Status s;
  if (known_moves_ < 0 && n == 0) {
    s = Send("BEGIN");
  } else if (known_moves_ < 0) {
    s = Send("BOARD");
    // The engine plays the side to move: stones of that colour are its own (1).
    for (int i = 0; i < n && s.ok(); ++i) {
      s = Send(absl::StrCat(xy(moves[i]), ",", i % 2 == n % 2 ? 1 : 2));
    }
    if (s.ok()) s = Send("DONE");
  } else if (n == known_moves_ + 1) {
    s = Send(absl::StrCat("TURN ", xy(moves.back())));
  } else {
    return absl::FailedPreconditionError(
        absl::StrCat("the engine knows ", known_moves_, " moves; cannot jump to ", n));
  }
  if (!s.ok()) {
    const std::string ended = Kill();
    return absl::UnavailableError(absl::StrCat(s.message(), " (", ended, ")"));
  }
  requested_at_ = n;
  deadline_ = absl::Now() + options_.turn_time + options_.grace;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<int>> PbrainClient::PollMove(absl::Duration wait) {
  if (deadline_ == absl::InfiniteFuture()) {
    return absl::FailedPreconditionError("no move was requested");
  }
  const absl::Duration left = std::max(absl::ZeroDuration(), deadline_ - absl::Now());
  absl::StatusOr<std::optional<std::string>> line = ReadLine(std::min(wait, left));
  if (!line.ok()) {
    const std::string ended = Kill();
    return absl::UnavailableError(absl::StrCat(line.status().message(), " (", ended, ")"));
  }
  if (!line->has_value()) {
    if (absl::Now() < deadline_) return std::optional<int>();
    const std::string ended = Kill();
    return absl::DeadlineExceededError(absl::StrCat(
        "no move within ", Millis(options_.turn_time + options_.grace), " ms (turn time ",
        Millis(options_.turn_time), " ms + grace ", Millis(options_.grace), " ms; ", ended, ")"));
  }
  const std::string& reply = **line;
  std::vector<absl::string_view> parts = absl::StrSplit(reply, ',');
  int x, y;
  if (parts.size() != 2 || !absl::SimpleAtoi(absl::StripAsciiWhitespace(parts[0]), &x) ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(parts[1]), &y)) {
    Kill();
    return absl::InvalidArgumentError(absl::StrCat("answered '", reply, "' instead of a move"));
  }
  if (x < 0 || x >= rules_.size || y < 0 || y >= rules_.size) {
    Kill();
    return absl::InvalidArgumentError(
        absl::StrCat("played ", x, ",", y, ", off the ", rules_.size, "x", rules_.size, " board"));
  }
  deadline_ = absl::InfiniteFuture();
  known_moves_ = requested_at_ + 1;
  return std::optional<int>(y * rules_.size + x);
}

}  // namespace zf::play
