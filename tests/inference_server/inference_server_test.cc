// The inference server on loopback (in-process server, real gRPC over TCP): the remote
// evaluator against in-process LibTorch, batching across streams, several requests in flight,
// bad input, oversized messages, garbage bytes, health, reconnects. Every wait is bounded.
#include "inference_server/inference_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/nn/network.h"
#include "common/nn/torch_evaluator.h"
#include "common/rpc/grpc_options.h"
#include "common/rpc/health_check.h"
#include "common/rpc/remote_evaluator.h"
#include "common/rpc/wire.h"
#include "gtest/gtest.h"

namespace zf {
namespace {

using zerofleet::v1::EvaluateRequest;
using zerofleet::v1::EvaluateResponse;

EncodedPosition RandomPosition(const Rules& rules, std::mt19937_64& rng, int moves) {
  GameState state(rules);
  int16_t legal[kMaxPoints];
  for (int i = 0; i < moves && !state.IsTerminal(); ++i) {
    const int n = state.LegalMoves(absl::MakeSpan(legal));
    state.PlayUnchecked(legal[rng() % n]);
  }
  return Encode(state);
}

ServedModel NullModel() {
  ServedModelOptions o;
  o.null_model = true;
  absl::StatusOr<ServedModel> m = LoadServedModel(o);
  EXPECT_TRUE(m.ok());
  return *std::move(m);
}

std::unique_ptr<InferenceServer> StartServer(ServedModel model, int max_batch, absl::Duration delay,
                                             int board_size = 0, int port = 0) {
  InferenceServerOptions o;
  o.port = port;
  o.batcher.max_batch = max_batch;
  o.batcher.max_queue_delay = delay;
  o.service.board_size = board_size;
  absl::StatusOr<std::unique_ptr<InferenceServer>> s = InferenceServer::Start(std::move(model), o);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

std::unique_ptr<RemoteEvaluator> Remote(int port, absl::Duration timeout = absl::Seconds(10)) {
  RemoteEvaluatorOptions o;
  o.target = absl::StrCat("127.0.0.1:", port);
  o.request_timeout = timeout;
  return *RemoteEvaluator::Create(o);
}

EvaluateRequest MakeRequest(uint64_t id, const std::vector<EncodedPosition>& positions) {
  EvaluateRequest r;
  r.set_request_id(id);
  r.set_board_size(positions.empty() ? 9 : positions[0].size);
  r.set_win_length(5);
  r.set_rule(zerofleet::v1::RULE_FREESTYLE);
  r.set_count(static_cast<uint32_t>(positions.size()));
  for (const EncodedPosition& p : positions) AppendPackedPosition(p, r.mutable_positions());
  return r;
}

TEST(InferenceServerTest, RemoteMatchesInProcessTorchEvaluator) {
  torch::manual_seed(11);
  PolicyValueNet net(*NetConfigFromPreset("tiny"));
  net->eval();
  TorchEvaluatorOptions topt;
  topt.device = "cpu";
  std::unique_ptr<TorchEvaluator> local = *TorchEvaluator::Create(net, 7, topt);
  std::unique_ptr<TorchEvaluator> served_eval = *TorchEvaluator::Create(net, 7, topt);
  TorchEvaluator* raw = served_eval.get();
  ServedModel served{std::move(served_eval), [raw] { return raw->version(); }, "tiny"};
  auto server = StartServer(std::move(served), 64, absl::Milliseconds(1));
  ASSERT_NE(server, nullptr);
  auto remote = Remote(server->port());

  std::mt19937_64 rng(2);
  for (const Rules& rules : {Rules{9, 5, Rule::kFreestyle}, Rules{15, 5, Rule::kStandard}}) {
    std::vector<EncodedPosition> batch;
    for (int i = 0; i < 12; ++i) batch.push_back(RandomPosition(rules, rng, 2 * i));
    const size_t points = size_t(rules.size) * rules.size;
    std::vector<float> p_local(batch.size() * points), v_local(batch.size());
    std::vector<float> p_remote(batch.size() * points, -1), v_remote(batch.size(), -9);
    ASSERT_TRUE(local->Evaluate(batch, absl::MakeSpan(p_local), absl::MakeSpan(v_local)).ok());
    absl::Status s = remote->Evaluate(batch, absl::MakeSpan(p_remote), absl::MakeSpan(v_remote));
    ASSERT_TRUE(s.ok()) << s;
    for (size_t i = 0; i < p_local.size(); ++i) {
      // fp16 keeps 11 significant bits; a little extra for float differences between batches.
      ASSERT_NEAR(p_remote[i], p_local[i], p_local[i] * std::ldexp(1.0, -10) + 1e-6) << i;
    }
    for (size_t i = 0; i < v_local.size(); ++i) EXPECT_NEAR(v_remote[i], v_local[i], 1e-5);
  }
  EXPECT_EQ(remote->last_model_version(), 7);
  const RemoteEvaluatorStats st = remote->stats();
  EXPECT_EQ(st.positions, 24);
  // 15x15: 61 bytes per packed position; under 100 requested, under 500 returned per leaf.
  EXPECT_LT(static_cast<double>(st.bytes_sent) / st.positions, 100.0);
  EXPECT_LT(static_cast<double>(st.bytes_received) / st.positions, 500.0);
}

TEST(InferenceServerTest, ManyClientStreamsAreBatchedTogether) {
  // A batch closes at 8 positions, or after 5 s: 8 clients each sending one position while
  // the others are queued share batches.
  auto server = StartServer(NullModel(), 8, absl::Seconds(5));
  ASSERT_NE(server, nullptr);
  std::vector<std::unique_ptr<RemoteEvaluator>> clients;
  for (int i = 0; i < 8; ++i) clients.push_back(Remote(server->port()));
  std::vector<absl::Status> results(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      std::mt19937_64 rng(i);
      std::vector<EncodedPosition> one = {RandomPosition(Rules{9, 5, Rule::kFreestyle}, rng, i)};
      std::vector<float> policy(81), value(1);
      results[i] = clients[i]->Evaluate(one, absl::MakeSpan(policy), absl::MakeSpan(value));
      float sum = 0;
      for (float p : policy) sum += p;
      EXPECT_NEAR(sum, 1.0f, 1e-2);
    });
  }
  for (auto& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  const BatcherStats stats = server->batcher_stats();
  EXPECT_EQ(stats.positions, 8);
  EXPECT_GT(stats.mean_batch(), 1.0);
  EXPECT_EQ(server->service_stats().streams, 8);
}

TEST(InferenceServerTest, SeveralRequestsInFlightOnOneStream) {
  // The batch closes only when 4 positions are queued (the delay is far past the client's
  // timeout), so 4 one-position calls on one stream succeed only if all 4 are in flight at once.
  auto server = StartServer(NullModel(), 4, absl::Seconds(10));
  ASSERT_NE(server, nullptr);
  auto remote = Remote(server->port(), absl::Seconds(5));
  std::vector<absl::Status> results(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      std::mt19937_64 rng(i);
      std::vector<EncodedPosition> one = {RandomPosition(Rules{9, 5, Rule::kFreestyle}, rng, 3)};
      std::vector<float> policy(81), value(1);
      results[i] = remote->Evaluate(one, absl::MakeSpan(policy), absl::MakeSpan(value));
    });
  }
  for (auto& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(server->service_stats().streams, 1);
  EXPECT_EQ(server->batcher_stats().batches, 1);
  EXPECT_EQ(remote->stats().streams_opened, 1);
}

TEST(InferenceServerTest, BadRequestsGetClearStatusesAndTheStreamGoesOn) {
  auto server = StartServer(NullModel(), 8, absl::Milliseconds(1), /*board_size=*/9);
  ASSERT_NE(server, nullptr);
  auto stub = zerofleet::v1::InferenceService::NewStub(
      MakeChannel(absl::StrCat("127.0.0.1:", server->port())));
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  auto stream = stub->Evaluate(&ctx);

  std::mt19937_64 rng(4);
  const Rules r9{9, 5, Rule::kFreestyle};
  const EncodedPosition good = RandomPosition(r9, rng, 5);
  std::map<uint64_t, absl::StatusCode> expected;
  auto send = [&](EvaluateRequest req, absl::StatusCode code) {
    expected[req.request_id()] = code;
    ASSERT_TRUE(stream->Write(req));
  };
  send(MakeRequest(1, {RandomPosition(Rules{15, 5, Rule::kFreestyle}, rng, 4)}),
       absl::StatusCode::kInvalidArgument);  // wrong board size for this server
  EvaluateRequest bad_rule = MakeRequest(2, {good});
  bad_rule.set_rule(static_cast<zerofleet::v1::Rule>(7));
  send(bad_rule, absl::StatusCode::kInvalidArgument);
  send(MakeRequest(3, {}), absl::StatusCode::kInvalidArgument);  // empty batch
  send(MakeRequest(4, std::vector<EncodedPosition>(9, good)),
       absl::StatusCode::kResourceExhausted);  // over --max-batch
  EvaluateRequest overlap = MakeRequest(5, {good});
  std::string* bytes = overlap.mutable_positions();
  const size_t plane = (81 + 7) / 8;
  (*bytes)[3] = static_cast<char>(0x01);          // point 0 own...
  (*bytes)[3 + plane] = static_cast<char>(0x01);  // ...and opponent
  send(overlap, absl::StatusCode::kInvalidArgument);
  EvaluateRequest short_bytes = MakeRequest(6, {good, good});
  short_bytes.mutable_positions()->resize(PackedPositionBytes(9) + 10);
  send(short_bytes, absl::StatusCode::kInvalidArgument);
  EvaluateRequest bad_win = MakeRequest(7, {good});
  bad_win.set_win_length(1000);
  send(bad_win, absl::StatusCode::kInvalidArgument);
  send(MakeRequest(8, {good, good}), absl::StatusCode::kOk);
  ASSERT_TRUE(stream->WritesDone());

  EvaluateResponse resp;
  std::map<uint64_t, EvaluateResponse> got;
  while (stream->Read(&resp)) got[resp.request_id()] = resp;
  const grpc::Status finish = stream->Finish();
  EXPECT_TRUE(finish.ok()) << finish.error_message();
  ASSERT_EQ(got.size(), expected.size());
  for (const auto& [id, code] : expected) {
    const EvaluateResponse& r = got[id];
    EXPECT_EQ(r.error().code(), static_cast<int>(code))
        << "request " << id << ": " << r.error().message();
    if (code != absl::StatusCode::kOk) {
      EXPECT_FALSE(r.error().message().empty());
    }
  }
  EXPECT_NE(got[1].error().message().find("wrong board size"), std::string::npos);
  EXPECT_NE(got[5].error().message().find("both planes"), std::string::npos);
  EXPECT_EQ(got[8].policy().size(), 2u * 81 * 2);
  EXPECT_EQ(got[8].value_size(), 2);
  EXPECT_EQ(server->service_stats().rejected, 7);

  // The remote evaluator reports the server's code.
  auto remote = Remote(server->port());
  std::vector<EncodedPosition> big = {RandomPosition(Rules{15, 5, Rule::kFreestyle}, rng, 2)};
  std::vector<float> policy(225), value(1);
  const absl::Status s = remote->Evaluate(big, absl::MakeSpan(policy), absl::MakeSpan(value));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("wrong board size"), std::string::npos) << s;
}

TEST(InferenceServerTest, MessageOverTheSizeLimitIsResourceExhausted) {
  auto server = StartServer(NullModel(), 8, absl::Milliseconds(1));
  ASSERT_NE(server, nullptr);
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(-1);  // this client would send anything
  auto stub = zerofleet::v1::InferenceService::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", server->port()), grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  auto stream = stub->Evaluate(&ctx);
  EvaluateRequest huge;
  huge.set_request_id(1);
  huge.set_board_size(9);
  huge.set_win_length(5);
  huge.set_count(1);
  huge.set_positions(std::string(kMaxMessageBytes + 1024, 'x'));
  stream->Write(huge);  // may or may not report the failure here
  stream->WritesDone();
  EvaluateResponse resp;
  while (stream->Read(&resp)) {
  }
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();

  // The server still serves everyone else.
  auto remote = Remote(server->port());
  std::mt19937_64 rng(1);
  std::vector<EncodedPosition> one = {RandomPosition(Rules{9, 5, Rule::kFreestyle}, rng, 2)};
  std::vector<float> policy(81), value(1);
  EXPECT_TRUE(remote->Evaluate(one, absl::MakeSpan(policy), absl::MakeSpan(value)).ok());
}

// A bidi stream on `method` that sends `messages` as they are (not necessarily valid protos),
// half-closes and collects the responses' bytes; returns the call's final status.
grpc::Status RawBidiCall(const std::shared_ptr<grpc::Channel>& channel, const char* method,
                         const std::vector<std::string>& messages,
                         std::vector<std::string>* responses) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
          channel.get(),
          grpc::internal::RpcMethod(method, grpc::internal::RpcMethod::BIDI_STREAMING), &ctx));
  for (const std::string& m : messages) {
    grpc::Slice slice(m);
    if (!stream->Write(grpc::ByteBuffer(&slice, 1))) break;
  }
  stream->WritesDone();
  grpc::ByteBuffer in;
  while (stream->Read(&in)) {
    std::vector<grpc::Slice> slices;
    in.Dump(&slices).IgnoreError();
    std::string bytes;
    for (const grpc::Slice& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    responses->push_back(std::move(bytes));
  }
  return stream->Finish();
}

TEST(InferenceServerTest, UnparseableMessageEndsTheStreamWithInvalidArgument) {
  auto server = StartServer(NullModel(), 8, absl::Milliseconds(1));
  ASSERT_NE(server, nullptr);
  std::mt19937_64 rng(6);
  const EncodedPosition good = RandomPosition(Rules{9, 5, Rule::kFreestyle}, rng, 3);
  // Field 1 (request_id) as a 5-byte string with 2 bytes behind it: no EvaluateRequest.
  const std::string garbage =
      "\x0a\x05"
      "ab";
  EvaluateRequest probe;
  ASSERT_FALSE(probe.ParseFromString(garbage));
  std::vector<std::string> responses;
  const grpc::Status status = RawBidiCall(MakeChannel(absl::StrCat("127.0.0.1:", server->port())),
                                          "/zerofleet.v1.InferenceService/Evaluate",
                                          {MakeRequest(1, {good}).SerializeAsString(), garbage,
                                           MakeRequest(2, {good}).SerializeAsString()},
                                          &responses);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_NE(status.error_message().find("message 2"), std::string::npos) << status.error_message();
  // The request before the bad message is answered; nothing after it is read.
  ASSERT_EQ(responses.size(), 1u);
  EvaluateResponse first;
  ASSERT_TRUE(first.ParseFromString(responses[0]));
  EXPECT_EQ(first.request_id(), 1u);
  EXPECT_EQ(first.error().code(), 0) << first.error().message();
  // The server goes on serving.
  auto remote = Remote(server->port());
  const std::vector<EncodedPosition> one = {good};
  std::vector<float> policy(81), value(1);
  EXPECT_TRUE(remote->Evaluate(one, absl::MakeSpan(policy), absl::MakeSpan(value)).ok());
}

// Sleeps `delay` per batch and counts the positions it evaluated.
class SlowEvaluator : public Evaluator {
 public:
  explicit SlowEvaluator(absl::Duration delay) : delay_(delay) {}
  absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                        absl::Span<float> value) override {
    absl::SleepFor(delay_);
    evaluated_ += static_cast<int64_t>(batch.size());
    return uniform_.Evaluate(batch, policy, value);
  }
  int64_t evaluated() const { return evaluated_.load(); }

 private:
  const absl::Duration delay_;
  UniformEvaluator uniform_;
  std::atomic<int64_t> evaluated_{0};
};

// A server computing one position per 100 ms batch, and a stream that queues `n` requests.
struct SlowServer {
  SlowEvaluator* evaluator = nullptr;
  std::unique_ptr<InferenceServer> server;
};

SlowServer StartSlowServer() {
  auto evaluator = std::make_unique<SlowEvaluator>(absl::Milliseconds(100));
  SlowServer slow;
  slow.evaluator = evaluator.get();
  ServedModel model;
  model.evaluator = std::move(evaluator);
  model.version = [] { return int64_t{0}; };
  slow.server = StartServer(std::move(model), /*max_batch=*/1, absl::ZeroDuration());
  return slow;
}

void QueueRequests(grpc::ClientReaderWriter<EvaluateRequest, EvaluateResponse>* stream, int n,
                   const EncodedPosition& position) {
  for (int i = 0; i < n; ++i) ASSERT_TRUE(stream->Write(MakeRequest(i + 1, {position})));
}

TEST(InferenceServerTest, QueuedWorkOfACancelledStreamIsDropped) {
  SlowServer slow = StartSlowServer();
  ASSERT_NE(slow.server, nullptr);
  std::mt19937_64 rng(9);
  const EncodedPosition position = RandomPosition(Rules{9, 5, Rule::kFreestyle}, rng, 3);
  auto stub = zerofleet::v1::InferenceService::NewStub(
      MakeChannel(absl::StrCat("127.0.0.1:", slow.server->port())));
  {  // 60 requests = 6 s of work, then the client goes away.
    grpc::ClientContext ctx;
    auto stream = stub->Evaluate(&ctx);
    QueueRequests(stream.get(), 60, position);
    EvaluateResponse first;
    ASSERT_TRUE(stream->Read(&first));  // the server has read them and is computing
    ctx.TryCancel();
    stream->Finish();
  }
  // A new client is answered after at most the batch in progress and a few stragglers.
  auto remote = Remote(slow.server->port());
  const std::vector<EncodedPosition> one = {position};
  std::vector<float> policy(81), value(1);
  const absl::Time start = absl::Now();
  EXPECT_TRUE(remote->Evaluate(one, absl::MakeSpan(policy), absl::MakeSpan(value)).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_LT(slow.evaluator->evaluated(), 30);
  EXPECT_GT(slow.server->batcher_stats().cancelled_requests, 0);
}

TEST(InferenceServerTest, ShutdownEndsWithinItsGraceWhileWorkIsQueued) {
  SlowServer slow = StartSlowServer();
  ASSERT_NE(slow.server, nullptr);
  std::mt19937_64 rng(10);
  const EncodedPosition position = RandomPosition(Rules{9, 5, Rule::kFreestyle}, rng, 3);
  auto stub = zerofleet::v1::InferenceService::NewStub(
      MakeChannel(absl::StrCat("127.0.0.1:", slow.server->port())));
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  auto stream = stub->Evaluate(&ctx);
  QueueRequests(stream.get(), 60, position);  // 6 s of work; the client keeps its stream open
  EvaluateResponse first;
  ASSERT_TRUE(stream->Read(&first));
  const absl::Time start = absl::Now();
  slow.server->Shutdown(absl::Milliseconds(500));
  // The grace, then the batch in progress.
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_LT(slow.evaluator->evaluated(), 30);
  ctx.TryCancel();
  stream->Finish();
}

TEST(InferenceServerTest, UnreadResponsesOfAllStreamsStayUnderTheGlobalLimit) {
  InferenceServerOptions o;
  o.batcher.max_batch = 256;
  o.batcher.max_queue_delay = absl::ZeroDuration();
  o.service.max_in_flight_per_stream = 1000;  // the global limit must hold on its own
  o.service.max_buffered_response_bytes = int64_t{4} << 20;
  absl::StatusOr<std::unique_ptr<InferenceServer>> server = InferenceServer::Start(NullModel(), o);
  ASSERT_TRUE(server.ok()) << server.status();
  std::mt19937_64 rng(11);
  const std::vector<EncodedPosition> positions(
      256, RandomPosition(Rules{15, 5, Rule::kFreestyle}, rng, 4));
  auto stub = zerofleet::v1::InferenceService::NewStub(
      MakeChannel(absl::StrCat("127.0.0.1:", (*server)->port())));
  // Two streams that never read: 2 x 100 responses of ~115 KB (23 MB) against a 4 MiB limit.
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReaderWriter<EvaluateRequest, EvaluateResponse>>> streams;
  for (int s = 0; s < 2; ++s) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    streams.push_back(stub->Evaluate(contexts.back().get()));
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(streams.back()->Write(MakeRequest(i, positions)));
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while ((*server)->service_stats().requests < 200 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const InferenceServiceStats held = (*server)->service_stats();
  EXPECT_EQ(held.requests, 200);
  EXPECT_GT(held.rejected, 0);  // RESOURCE_EXHAUSTED past the limit
  EXPECT_LE(held.buffered_response_bytes, o.service.max_buffered_response_bytes);
  // The streams die: everything they held is released.
  for (auto& c : contexts) c->TryCancel();
  for (auto& st : streams) st->Finish();
  const absl::Time released = absl::Now() + absl::Seconds(10);
  while ((*server)->service_stats().buffered_response_bytes > 0 && absl::Now() < released) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ((*server)->service_stats().buffered_response_bytes, 0);
}

// grpc.health.v1.Health/Check for `service`: the HealthCheckResponse status (1 = SERVING),
// or -1 when the call failed.
int HealthStatus(int port, const std::string& service) {
  absl::StatusOr<ServingStatus> status =
      CheckHealth(MakeChannel(absl::StrCat("127.0.0.1:", port)), service, absl::Seconds(10));
  return status.ok() ? static_cast<int>(*status) : -1;
}

TEST(InferenceServerTest, HealthIsServing) {
  auto server = StartServer(NullModel(), 8, absl::Milliseconds(1));
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(HealthStatus(server->port(), ""), 1);
  EXPECT_EQ(HealthStatus(server->port(), "zerofleet.v1.InferenceService"), 1);
}

void SendRaw(int port, const std::string& bytes) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  const ssize_t sent = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  EXPECT_GT(sent, 0);
  close(fd);
}

TEST(InferenceServerTest, GarbageBytesOnThePortDoNotKillTheServer) {
  auto server = StartServer(NullModel(), 8, absl::Milliseconds(1));
  ASSERT_NE(server, nullptr);
  std::mt19937_64 rng(8);
  std::string junk(64 * 1024, '\0');
  for (char& c : junk) c = static_cast<char>(rng());
  SendRaw(server->port(), junk);
  SendRaw(server->port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  // A valid HTTP/2 preface followed by a malformed frame.
  SendRaw(server->port(), std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + junk.substr(0, 4096));
  EXPECT_EQ(HealthStatus(server->port(), ""), 1);
  auto remote = Remote(server->port());
  std::vector<EncodedPosition> one = {RandomPosition(Rules{9, 5, Rule::kFreestyle}, rng, 2)};
  std::vector<float> policy(81), value(1);
  EXPECT_TRUE(remote->Evaluate(one, absl::MakeSpan(policy), absl::MakeSpan(value)).ok());
}

TEST(InferenceServerTest, UnavailableServerThenReconnectOnTheNextCall) {
  auto server = StartServer(NullModel(), 8, absl::Milliseconds(1));
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  auto remote = Remote(port, absl::Seconds(5));
  std::mt19937_64 rng(3);
  std::vector<EncodedPosition> one = {RandomPosition(Rules{9, 5, Rule::kFreestyle}, rng, 2)};
  std::vector<float> policy(81), value(1);
  ASSERT_TRUE(remote->Evaluate(one, absl::MakeSpan(policy), absl::MakeSpan(value)).ok());

  server.reset();  // the server goes away
  const absl::Status down = remote->Evaluate(one, absl::MakeSpan(policy), absl::MakeSpan(value));
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable) << down;
  EXPECT_NE(down.message().find("127.0.0.1"), std::string::npos) << down;

  server = StartServer(NullModel(), 8, absl::Milliseconds(1), 0, port);  // back, same port
  ASSERT_NE(server, nullptr);
  absl::Status s;
  const absl::Time give_up = absl::Now() + absl::Seconds(15);
  do {  // the channel may still be backing off; each call opens a new stream
    s = remote->Evaluate(one, absl::MakeSpan(policy), absl::MakeSpan(value));
    if (!s.ok()) absl::SleepFor(absl::Milliseconds(100));
  } while (!s.ok() && absl::Now() < give_up);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_GE(remote->stats().streams_opened, 2);
}

TEST(InferenceServerTest, ClientsVanishingWithRequestsInFlightDoNotHurtTheServer) {
  // Requests wait up to 300 ms in the batcher while their streams are cancelled or time out.
  auto server = StartServer(NullModel(), 100, absl::Milliseconds(300));
  ASSERT_NE(server, nullptr);
  std::mt19937_64 rng(6);
  const EncodedPosition pos = RandomPosition(Rules{9, 5, Rule::kFreestyle}, rng, 4);
  auto stub = zerofleet::v1::InferenceService::NewStub(
      MakeChannel(absl::StrCat("127.0.0.1:", server->port())));
  for (int i = 0; i < 5; ++i) {
    grpc::ClientContext ctx;
    auto stream = stub->Evaluate(&ctx);
    ASSERT_TRUE(stream->Write(MakeRequest(1, {pos})));
    ASSERT_TRUE(stream->Write(MakeRequest(2, {pos, pos})));
    ctx.TryCancel();
    EvaluateResponse resp;
    while (stream->Read(&resp)) {
    }
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // A client whose deadline is shorter than the queue delay gets DEADLINE_EXCEEDED.
  auto impatient = Remote(server->port(), absl::Milliseconds(50));
  std::vector<EncodedPosition> one = {pos};
  std::vector<float> policy(81), value(1);
  const absl::Status late = impatient->Evaluate(one, absl::MakeSpan(policy), absl::MakeSpan(value));
  EXPECT_EQ(late.code(), absl::StatusCode::kDeadlineExceeded) << late;

  auto remote = Remote(server->port());
  EXPECT_TRUE(remote->Evaluate(one, absl::MakeSpan(policy), absl::MakeSpan(value)).ok());
  EXPECT_EQ(HealthStatus(server->port(), ""), 1);
}

}  // namespace
}  // namespace zf
