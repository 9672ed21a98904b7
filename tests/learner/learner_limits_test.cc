// The zerofleet-learner binary with a token (issue 14, High 2): callers without the token get
// no more than health (reflection is off by default with a token, so its streams cannot hold
// the learner's threads), and SubmitGames / WatchModel streams are capped with
// RESOURCE_EXHAUSTED past the cap. Thread counts come from /proc; every loop and wait is
// bounded.
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/rpc/health_check.h"
#include "common/rpc/security.h"
#include "gtest/gtest.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"
#include "zerofleet/v1/learner.grpc.pb.h"

namespace zf {
namespace {

namespace v1 = zerofleet::v1;
using ::zf::testing::ChildProcess;
using RawStream = grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>;

int Threads(pid_t pid) { return static_cast<int>(testing::ProcStatusValue(pid, "Threads")); }

// An open bidi stream on `method` that has sent `message`; the caller keeps it open.
struct OpenStream {
  std::unique_ptr<grpc::ClientContext> context = std::make_unique<grpc::ClientContext>();
  std::unique_ptr<RawStream> stream;
  bool answered = false;  // a response came back
};

OpenStream Open(const std::shared_ptr<grpc::Channel>& channel, const char* method,
                const std::string& message) {
  OpenStream s;
  s.context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  s.stream.reset(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
          channel.get(),
          grpc::internal::RpcMethod(method, grpc::internal::RpcMethod::BIDI_STREAMING),
          s.context.get()));
  grpc::Slice slice(message);
  grpc::ByteBuffer in;
  s.answered = s.stream->Write(grpc::ByteBuffer(&slice, 1)) && s.stream->Read(&in);
  return s;
}

// Ends `s`: cancels it if the server is still serving it, else reads the status it ended with.
grpc::Status Close(OpenStream& s) {
  if (s.answered) s.context->TryCancel();
  return s.stream->Finish();
}

class LearnerLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    {
      std::ofstream token(dir_.Path("token"));
      token << "limits-test-token\n";
    }
    learner_ = ChildProcess::Start(
        {testing::BinDir() + "/zerofleet-learner", "--run-dir", dir_.Path("run"), "--port", "0",
         "--board-size", "7", "--win-length", "4", "--preset", "cpu", "--device", "cpu",
         "--token-file", dir_.Path("token"), "--max-submit-streams", "4", "--max-watch-streams",
         "2"},
        dir_.Path("out"), dir_.Path("err"));
    ASSERT_NE(learner_, nullptr);
    const int port = ReadListeningPort(*learner_);
    ASSERT_GT(port, 0) << learner_->Log();
    target_ = absl::StrCat("127.0.0.1:", port);
    RpcSecurityOptions with_token;
    with_token.token_file = dir_.Path("token");
    absl::StatusOr<RpcSecurity> security = LoadRpcSecurity(with_token);
    ASSERT_TRUE(security.ok()) << security.status();
    authenticated_ = MakeSecureChannel(target_, *security);
    anonymous_ = MakeSecureChannel(target_, RpcSecurity());
  }

  const testing::ScopedTempDir dir_{"zf_learner_limits_"};
  std::unique_ptr<ChildProcess> learner_;
  std::string target_;
  std::shared_ptr<grpc::Channel> authenticated_;
  std::shared_ptr<grpc::Channel> anonymous_;
};

TEST_F(LearnerLimitsTest, CallersWithoutTheTokenGetOnlyHealthAndNoThreads) {
  absl::StatusOr<ServingStatus> health = CheckHealth(anonymous_, "", absl::Seconds(10));
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, ServingStatus::kServing);
  const int before = Threads(learner_->pid());
  ASSERT_GT(before, 0);
  std::vector<OpenStream> streams;
  for (int i = 0; i < 40; ++i) {  // reflection: list_services ""
    streams.push_back(Open(anonymous_,
                           "/grpc.reflection.v1alpha.ServerReflection/"
                           "ServerReflectionInfo",
                           std::string("\x3a\x00", 2)));
    EXPECT_FALSE(streams.back().answered) << "reflection answered a caller without the token";
  }
  for (int i = 0; i < 20; ++i) {
    streams.push_back(Open(anonymous_, "/zerofleet.v1.LearnerService/SubmitGames", ""));
  }
  // Each of them held open would have taken a thread in the old learner.
  const int during = Threads(learner_->pid());
  EXPECT_LT(during, before + 10) << "threads " << before << " -> " << during;
  for (size_t i = 0; i < streams.size(); ++i) {
    const grpc::Status status = Close(streams[i]);
    EXPECT_TRUE(status.error_code() == grpc::StatusCode::UNIMPLEMENTED ||
                status.error_code() == grpc::StatusCode::UNAUTHENTICATED)
        << i << ": " << status.error_code() << " " << status.error_message();
  }
  EXPECT_EQ(learner_->Stop(absl::Seconds(30)), 0) << learner_->Log();
}

TEST_F(LearnerLimitsTest, StreamsPastTheCapAreResourceExhausted) {
  // An empty SubmitGamesRequest: acked with an error, so the stream is being served.
  const std::string empty_request;
  std::vector<OpenStream> streams;
  for (int i = 0; i < 4; ++i) {
    streams.push_back(
        Open(authenticated_, "/zerofleet.v1.LearnerService/SubmitGames", empty_request));
    EXPECT_TRUE(streams.back().answered) << i;
  }
  OpenStream over = Open(authenticated_, "/zerofleet.v1.LearnerService/SubmitGames", empty_request);
  EXPECT_FALSE(over.answered);
  EXPECT_EQ(over.stream->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // WatchModel (server streaming) through the typed stub: 2 allowed, the third refused.
  auto stub = v1::LearnerService::NewStub(authenticated_);
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::ModelChunk>>> watches;
  v1::WatchModelRequest request;
  request.set_have_version(-1);
  for (int i = 0; i < 3; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    contexts.back()->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    watches.push_back(stub->WatchModel(contexts.back().get(), request));
    v1::ModelChunk chunk;
    EXPECT_EQ(watches.back()->Read(&chunk), i < 2) << i;
  }
  EXPECT_EQ(watches[2]->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Closing one frees its place.
  Close(streams[0]);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool served = false;
  while (!served && absl::Now() < deadline) {
    OpenStream again =
        Open(authenticated_, "/zerofleet.v1.LearnerService/SubmitGames", empty_request);
    served = again.answered;
    Close(again);
    if (!served) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(served);
  for (size_t i = 1; i < streams.size(); ++i) Close(streams[i]);
  for (int i = 0; i < 2; ++i) {
    contexts[i]->TryCancel();
    watches[i]->Finish();
  }
  EXPECT_EQ(learner_->Stop(absl::Seconds(30)), 0) << learner_->Log();
}

}  // namespace
}  // namespace zf
