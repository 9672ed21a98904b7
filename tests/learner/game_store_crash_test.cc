// GameStore under stress: 8 threads appending at once, a write error (a file size limit) in a
// child process, and kill -9 of a child that acks every stored game through a pipe.
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "learner/game_store.h"
#include "tests/learner/game_store_test_util.h"
#include "tests/testing/temp_dir.h"

namespace zf {
namespace {

using ::zf::store_testing::CountSegments;
using ::zf::store_testing::FileSize;
using ::zf::store_testing::Game;
using ::zf::store_testing::IdsOf;
using ::zf::store_testing::InDir;
using ::zf::store_testing::Opened;
using ::zf::store_testing::OpenStore;
using ::zf::store_testing::RecordFor;
using ::zf::store_testing::Segment;
using ::zf::testing::ScopedTempDir;

TEST(GameStoreTest, ConcurrentAppendsStoreEveryGameExactlyOnce) {
  ScopedTempDir tmp("game_store_");
  const GameStoreOptions options = InDir(tmp.Path("g"), 64 << 10);
  constexpr int kThreads = 8;
  constexpr int kCalls = 150;
  absl::Mutex mu;
  std::map<std::string, int> new_count;  // id -> times reported new
  int64_t calls = 0;
  {
    absl::StatusOr<Opened> o = OpenStore(options);
    ASSERT_TRUE(o.ok()) << o.status();
    GameStore* store = o->store.get();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int c = 0; c < kCalls; ++c) {
          std::vector<StoredGame> batch;
          for (int k = 0; k <= c % 3; ++k) {
            batch.push_back(Game(absl::StrCat("t", t, "-", c, "-", k)));
          }
          // Ids every thread races for.
          if (c % 4 == 0) batch.push_back(Game(absl::StrCat("shared-", c % 40)));
          absl::StatusOr<std::vector<bool>> r = store->Append(batch);
          absl::MutexLock l(&mu);
          ++calls;
          EXPECT_TRUE(r.ok()) << r.status();
          if (!r.ok()) return;
          for (size_t i = 0; i < batch.size(); ++i) new_count[batch[i].game_id] += (*r)[i];
        }
      });
    }
    for (std::thread& th : threads) th.join();
    EXPECT_EQ(store->size(), static_cast<int64_t>(new_count.size()));
    std::printf("8 threads: %lld Append calls shared %lld fdatasync group commits\n",
                static_cast<long long>(calls), static_cast<long long>(store->commits()));
    EXPECT_LE(store->commits(), calls);
  }
  for (const auto& [id, n] : new_count) EXPECT_EQ(n, 1) << id;
  absl::StatusOr<Opened> o = OpenStore(options);
  ASSERT_TRUE(o.ok()) << o.status();
  std::set<std::string> seen;
  for (const StoredGame& g : o->games) {
    EXPECT_TRUE(seen.insert(g.game_id).second) << g.game_id;
    EXPECT_EQ(g.record, RecordFor(g.game_id));
  }
  EXPECT_EQ(seen.size(), new_count.size());
}

// Waits up to `timeout` for `pid` to exit; its wait status, or -1 (after SIGKILL) on timeout.
int WaitChild(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return status;
}

TEST(GameStoreTest, WriteErrorRollsBackAndTheStoreStaysUsable) {
  ScopedTempDir tmp("game_store_");
  const GameStoreOptions options = InDir(tmp.Path("g"));
  ASSERT_TRUE(OpenStore(options)->store->Append(std::vector<StoredGame>{Game("first")}).ok());
  const int64_t size = FileSize(Segment(options.dir, 1));
  // The child runs under a file size limit: the big batch fails mid-write (EFBIG).
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    absl::StatusOr<std::unique_ptr<GameStore>> store = GameStore::Open(options, nullptr);
    if (!store.ok()) _exit(2);
    const rlimit limit{static_cast<rlim_t>(size + 200), static_cast<rlim_t>(size + 200)};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(3);
    const std::vector<StoredGame> big = {StoredGame{"big", 1, std::string(1000, 'b')}};
    absl::StatusOr<std::vector<bool>> r = (*store)->Append(big);
    if (r.ok() || !absl::StrContains(r.status().message(), "cannot write")) _exit(4);
    if ((*store)->Contains("big") || (*store)->size() != 1) _exit(5);
    r = (*store)->Append(std::vector<StoredGame>{StoredGame{"small", 2, "s"}});
    if (!r.ok() || !(*r)[0]) _exit(6);
    if ((*store)->Append(big).ok()) _exit(7);
    _exit(0);
  }
  const int status = WaitChild(pid, absl::Seconds(30));
  ASSERT_TRUE(WIFEXITED(status)) << status;
  ASSERT_EQ(WEXITSTATUS(status), 0);
  absl::StatusOr<Opened> o = OpenStore(options);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(IdsOf(o->games), (std::vector<std::string>{"first", "small"}));
  EXPECT_EQ(o->store->recovery().truncated_bytes, 0);
}

TEST(GameStoreTest, FailedSegmentRollLeavesNoHalfMadeSegment) {
  ScopedTempDir tmp("game_store_");
  const GameStoreOptions options = InDir(tmp.Path("g"), 100);
  ASSERT_TRUE(OpenStore(options)->store->Append(std::vector<StoredGame>{Game("first")}).ok());
  // The next game needs a new segment; the child cannot write its 16-byte header.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    absl::StatusOr<std::unique_ptr<GameStore>> store = GameStore::Open(options, nullptr);
    if (!store.ok()) _exit(2);
    const rlimit limit{8, 8};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(3);
    if ((*store)->Append(std::vector<StoredGame>{Game("second")}).ok()) _exit(4);
    if (access(Segment(options.dir, 2).c_str(), F_OK) == 0) _exit(5);
    _exit(0);
  }
  const int status = WaitChild(pid, absl::Seconds(30));
  ASSERT_TRUE(WIFEXITED(status)) << status;
  ASSERT_EQ(WEXITSTATUS(status), 0);
  absl::StatusOr<Opened> o = OpenStore(options);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(IdsOf(o->games), std::vector<std::string>{"first"});
  EXPECT_EQ(o->store->recovery().segments, 1);
  EXPECT_EQ(o->store->recovery().note, "");
  ASSERT_TRUE(o->store->Append(std::vector<StoredGame>{Game("second")}).ok());
  EXPECT_EQ(CountSegments(options.dir), 2);
}

// Reads complete lines from `fd` until `want` lines arrived, EOF, or the deadline.
void ReadLines(int fd, size_t want, absl::Time deadline, std::string* buffer,
               std::vector<std::string>* lines) {
  char chunk[4096];
  while (lines->size() < want && absl::Now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n <= 0) return;  // EOF: the writer is gone
    buffer->append(chunk, static_cast<size_t>(n));
    size_t nl;
    while ((nl = buffer->find('\n')) != std::string::npos) {
      lines->push_back(buffer->substr(0, nl));
      buffer->erase(0, nl + 1);
    }
  }
}

TEST(GameStoreTest, KillNineLosesNothingAcked) {
  ScopedTempDir tmp("game_store_");
  const GameStoreOptions options = InDir(tmp.Path("g"), 32 << 10);
  std::vector<std::string> acked;  // over all rounds
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Append batches of 1..5 games forever; write each id to the pipe only once acked.
      close(fds[0]);
      absl::StatusOr<std::unique_ptr<GameStore>> store = GameStore::Open(options, nullptr);
      if (!store.ok()) _exit(2);
      for (int n = 0;; ++n) {
        std::vector<StoredGame> batch;
        for (int k = 0; k <= n % 5; ++k) batch.push_back(Game(absl::StrCat(round, "-", n, "-", k)));
        if (!(*store)->Append(batch).ok()) _exit(3);
        std::string line;
        for (const StoredGame& g : batch) absl::StrAppend(&line, g.game_id, "\n");
        if (write(fds[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
          _exit(4);
        }
      }
    }
    close(fds[1]);
    std::string buffer;
    std::vector<std::string> lines;
    // Kill at a different depth each round.
    ReadLines(fds[0], 100 + 150 * round, absl::Now() + absl::Seconds(60), &buffer, &lines);
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    const int status = WaitChild(pid, absl::Seconds(10));
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    ReadLines(fds[0], SIZE_MAX, absl::Now() + absl::Seconds(10), &buffer, &lines);
    close(fds[0]);
    ASSERT_GE(lines.size(), 100u + 150 * round) << "the child did not get far enough";
    acked.insert(acked.end(), lines.begin(), lines.end());

    absl::StatusOr<Opened> o = OpenStore(options);
    ASSERT_TRUE(o.ok()) << o.status();
    for (const std::string& id : acked) ASSERT_TRUE(o->store->Contains(id)) << id;
    for (const StoredGame& g : o->games) ASSERT_EQ(g.record, RecordFor(g.game_id));
    // Whatever the child had written but not acked yet may be there too; nothing else.
    EXPECT_GE(o->games.size(), acked.size());
    EXPECT_LE(o->games.size(), acked.size() + 5 * (round + 1));
  }
  EXPECT_GT(CountSegments(options.dir), 1);
}

}  // namespace
}  // namespace zf
