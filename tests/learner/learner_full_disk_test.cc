// The zerofleet-learner binary with its run directory on a small tmpfs that the test fills
// (issue 14, High 1 and Low 8). A checkpoint hitting the full disk must not stop the learner:
// it is logged, counted in zerofleet_learner_checkpoint_failures_total and retried; games that
// cannot be stored are refused with UNAVAILABLE naming the cause; the service's health is
// NOT_SERVING while games cannot be stored (the overall health stays SERVING); GetRunConfig
// and WatchModel keep working; once space is back the retried checkpoint is written, health is
// SERVING and games are stored again; SIGTERM still exits 0.
//
// The tmpfs lives in a mount namespace of this test process (its children inherit it), so
// nothing outside sees it; without the rights to make one (no root, no user namespaces) the
// test is skipped. Every wait is bounded.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/game/game_record.h"
#include "common/rpc/grpc_options.h"
#include "common/rpc/health_check.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"
#include "zerofleet/v1/learner.grpc.pb.h"

namespace zf {
namespace {

namespace v1 = zerofleet::v1;
using ::zf::testing::ChildProcess;

constexpr int64_t kTmpfsBytes = int64_t{64} << 20;
// Free space left for games: far below one checkpoint of the cpu preset's net (~0.5 MB).
constexpr int64_t kLeaveBytes = int64_t{96} << 10;

bool WriteSmallFile(const std::string& path, const std::string& text) {
  const int fd = open(path.c_str(), O_WRONLY);
  if (fd < 0) return false;
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

// Mounts a tmpfs at `dir` in a new mount namespace of this (still single-threaded) process.
// Empty on success, else why it could not.
std::string MountPrivateTmpfs(const std::string& dir) {
  if (unshare(CLONE_NEWNS) != 0) {
    // Without CAP_SYS_ADMIN: a user namespace where this user is root.
    const uid_t uid = getuid();
    const gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
      return absl::StrCat("no mount namespace (unshare: ", std::strerror(errno), ")");
    }
    if (!WriteSmallFile("/proc/self/setgroups", "deny") ||
        !WriteSmallFile("/proc/self/uid_map", absl::StrCat("0 ", uid, " 1")) ||
        !WriteSmallFile("/proc/self/gid_map", absl::StrCat("0 ", gid, " 1"))) {
      return "cannot map this user in a user namespace";
    }
  }
  if (mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return absl::StrCat("cannot make mounts private: ", std::strerror(errno));
  }
  const std::string size = absl::StrCat("size=", kTmpfsBytes);
  if (mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, size.c_str()) != 0) {
    return absl::StrCat("cannot mount a tmpfs: ", std::strerror(errno));
  }
  return "";
}

std::string DirNameOf(const std::string& path) { return path.substr(0, path.rfind('/')); }

// Fills the file system of `path` (a new file) until `leave` bytes are free, or until it is
// full when leave is 0. False if nothing could be written.
bool Fill(const std::string& path, int64_t leave) {
  struct statvfs fs;
  if (statvfs(DirNameOf(path).c_str(), &fs) != 0) return false;
  int64_t todo = static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize) - leave;
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return false;
  const std::string chunk(1 << 16, 'x');
  int64_t written = 0;
  while (leave == 0 || written < todo) {  // ends at ENOSPC at the latest
    const size_t n = leave == 0
                         ? chunk.size()
                         : static_cast<size_t>(std::min<int64_t>(chunk.size(), todo - written));
    const ssize_t w = write(fd, chunk.data(), n);
    if (w <= 0) break;
    written += w;
  }
  close(fd);
  return written > 0;
}

// Polls `done` every 100 ms until it holds or `timeout` passes.
bool WaitFor(absl::Duration timeout, const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return done();
}

double Metric(int port, const std::string& name) {
  httplib::Client http("127.0.0.1", port);
  http.set_connection_timeout(2);
  http.set_read_timeout(5);
  httplib::Result r = http.Get("/metrics");
  if (!r || r->status != 200) return -1;
  for (absl::string_view line : absl::StrSplit(r->body, '\n')) {
    double v;
    if (absl::StartsWith(line, name + " ") && absl::SimpleAtod(line.substr(name.size() + 1), &v)) {
      return v;
    }
  }
  return -1;
}

// One SubmitGames stream carrying one request of `records` under ids prefix0, prefix1, ...
v1::SubmitGamesAck Submit(v1::LearnerService::Stub& stub, const std::vector<GameRecord>& records,
                          const std::string& prefix, grpc::Status* finish) {
  v1::SubmitGamesRequest request;
  for (size_t i = 0; i < records.size(); ++i) {
    v1::Game* game = request.add_games();
    game->set_game_id(absl::StrCat(prefix, i));
    game->set_record(SerializeGameRecord(records[i]));
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto stream = stub.SubmitGames(&context);
  v1::SubmitGamesAck ack;
  if (!stream->Write(request) || !stream->Read(&ack)) ack.mutable_error()->set_code(-1);
  stream->WritesDone();
  *finish = stream->Finish();
  return ack;
}

ServingStatus Health(const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  absl::StatusOr<ServingStatus> s = CheckHealth(channel, service, absl::Seconds(5));
  return s.ok() ? *s : ServingStatus::kUnknown;
}

TEST(LearnerFullDiskTest, CheckpointFailureIsRetriedWhileTheLearnerServes) {
  const testing::ScopedTempDir dir("zf_full_disk_");
  ASSERT_FALSE(dir.path().empty());
  // 1. Games of the learner's rules, written outside the small file system.
  const std::string games_file = dir.Path("games.zfgr");
  const testing::CommandResult selfplay = testing::RunBinary(
      "zerofleet",
      absl::StrCat("selfplay --board-size 7 --win-length 4 --games 24 --sims 16 --show=false "
                   "--out ",
                   games_file),
      "", 120);
  ASSERT_EQ(selfplay.exit_code, 0) << selfplay.out << selfplay.err;
  absl::StatusOr<std::vector<GameRecord>> records = ReadGameRecords(games_file);
  ASSERT_TRUE(records.ok()) << records.status();
  const std::vector<GameRecord> first(records->begin(), records->begin() + 16);
  const std::vector<GameRecord> second(records->begin() + 16, records->end());

  // 2. The run directory on a private tmpfs (before any thread starts in this process).
  const std::string run = dir.Path("run");
  ASSERT_EQ(mkdir(run.c_str(), 0755), 0);
  if (const std::string why = MountPrivateTmpfs(run); !why.empty()) GTEST_SKIP() << why;
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{run};

  // 3. The learner: trains as soon as the first games are in, a checkpoint every 2 steps.
  const int metrics_port = testing::FreeLoopbackPort();
  ASSERT_GT(metrics_port, 0);
  std::unique_ptr<ChildProcess> learner =
      ChildProcess::Start({testing::BinDir() + "/zerofleet-learner",
                           "--run-dir",
                           run,
                           "--port",
                           "0",
                           "--board-size",
                           "7",
                           "--win-length",
                           "4",
                           "--preset",
                           "cpu",
                           "--sims",
                           "16",
                           "--device",
                           "cpu",
                           "--min-positions",
                           "40",
                           "--batch-size",
                           "16",
                           "--checkpoint-every",
                           "2",
                           "--publish-every",
                           "1",
                           "--metrics-port",
                           absl::StrCat(metrics_port)},
                          dir.Path("out"), dir.Path("err"));
  ASSERT_NE(learner, nullptr);
  const int port = ReadListeningPort(*learner);
  ASSERT_GT(port, 0) << learner->Log();
  auto channel = MakeChannel(absl::StrCat("127.0.0.1:", port));
  auto stub = v1::LearnerService::NewStub(channel);
  const std::string kService = "zerofleet.v1.LearnerService";
  EXPECT_EQ(Health(channel, kService), ServingStatus::kServing);

  // 4. Little space left: games fit, a checkpoint does not. Training checkpoints and fails.
  ASSERT_TRUE(Fill(run + "/filler-1", kLeaveBytes));
  grpc::Status finish;
  v1::SubmitGamesAck ack = Submit(*stub, first, "a-", &finish);
  ASSERT_EQ(ack.error().code(), 0) << ack.error().message() << "\n" << learner->Log();
  EXPECT_EQ(ack.game_ids_size(), static_cast<int>(first.size()));
  ASSERT_TRUE(WaitFor(absl::Seconds(60), [&] {
    return absl::StrContains(learner->Log(), "the previous checkpoint stays the newest") ||
           !learner->Running();
  })) << learner->Log();
  absl::SleepFor(absl::Seconds(1));  // an exit right after the failure would show now
  ASSERT_TRUE(learner->Running()) << "the learner exited on a failed checkpoint:\n"
                                  << learner->Log();
  EXPECT_TRUE(absl::StrContains(learner->Log(), "No space left")) << learner->Log();
  EXPECT_TRUE(WaitFor(absl::Seconds(5), [&] {
    return Metric(metrics_port, "zerofleet_learner_checkpoint_failures_total") >= 1;
  })) << "checkpoint failures not counted";

  // 5. No space at all: games are refused with a clear, retryable status; the service reports
  //    NOT_SERVING; the rest of the learner serves on.
  ASSERT_TRUE(Fill(run + "/filler-2", 0));
  ack = Submit(*stub, second, "b-", &finish);
  EXPECT_EQ(ack.error().code(), static_cast<int>(grpc::StatusCode::UNAVAILABLE))
      << ack.error().message();
  EXPECT_TRUE(absl::StrContains(ack.error().message(), "No space left")) << ack.error().message();
  EXPECT_EQ(ack.game_ids_size(), 0);
  EXPECT_TRUE(WaitFor(absl::Seconds(5), [&] {
    return Health(channel, kService) == ServingStatus::kNotServing;
  })) << "health stays SERVING while games cannot be stored";
  EXPECT_EQ(Health(channel, ""), ServingStatus::kServing);
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::RunConfig config;
    EXPECT_TRUE(stub->GetRunConfig(&context, v1::GetRunConfigRequest(), &config).ok());
  }
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::WatchModelRequest request;
    request.set_have_version(-1);
    auto reader = stub->WatchModel(&context, request);
    v1::ModelChunk chunk;
    EXPECT_TRUE(reader->Read(&chunk)) << "WatchModel sent nothing";
    context.TryCancel();
    reader->Finish();
  }

  // 6. Space again: the retried checkpoint is written, health and game storage come back.
  ASSERT_EQ(unlink((run + "/filler-1").c_str()), 0);
  ASSERT_EQ(unlink((run + "/filler-2").c_str()), 0);
  EXPECT_TRUE(WaitFor(absl::Seconds(60), [&] {
    return absl::StrContains(learner->Log(), "written after");
  })) << learner->Log();
  EXPECT_TRUE(WaitFor(absl::Seconds(10), [&] {
    return Health(channel, kService) == ServingStatus::kServing;
  })) << learner->Log();
  ack = Submit(*stub, second, "b-", &finish);
  EXPECT_EQ(ack.error().code(), 0) << ack.error().message();
  EXPECT_EQ(ack.game_ids_size(), static_cast<int>(second.size()));
  EXPECT_EQ(access((run + "/model.zfm").c_str(), R_OK), 0);
  EXPECT_EQ(learner->Stop(absl::Seconds(30)), 0) << learner->Log();
}

}  // namespace
}  // namespace zf
