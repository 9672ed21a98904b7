// LearnerService through a real gRPC server on loopback, in front of a real Learner on disk:
// run config, durable idempotent SubmitGames, WatchModel chunks and sha256, restart from the
// game store, and every kind of bad input getting a clear status while the server goes on.
#include "learner/learner_service.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/nn/model_file.h"
#include "common/rpc/grpc_options.h"
#include "common/rpc/run_config.h"
#include "gtest/gtest.h"
#include "tests/learner/test_records.h"
#include "tests/testing/temp_dir.h"

namespace zf {
namespace {

namespace v1 = zerofleet::v1;
using testing_records::SmallGames;

LearnerOptions TinyLearner(const std::string& dir) {
  LearnerOptions o;
  o.run_dir = dir;
  o.rules.size = 7;
  o.rules.win_length = 4;
  o.net.blocks = 1;
  o.net.channels = 8;
  o.net.value_channels = 2;
  o.net.value_hidden = 8;
  o.trainer.batch_size = 16;
  o.trainer.device = "cpu";
  o.ratio.min_positions = 10;
  o.store_games = true;
  o.export_models = true;
  o.segment_bytes = 1 << 16;
  return o;
}

std::chrono::system_clock::time_point Deadline(int seconds = 10) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

// A learner and its server; Restart() simulates a process restart on the same run dir.
class LearnerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    Start();
  }
  void Start(RpcSecurity security = {}) {
    absl::StatusOr<std::unique_ptr<Learner>> learner = Learner::Create(TinyLearner(dir_.path()));
    ASSERT_TRUE(learner.ok()) << learner.status();
    learner_ = *std::move(learner);
    LearnerServerOptions options;
    options.service.selfplay.rules = learner_->options().rules;
    options.service.selfplay.search.simulations = 32;
    options.service.selfplay.parallel_games = 12;
    options.service.run_id = "test-run";
    options.service.max_games_per_request = 8;
    options.service.chunk_bytes = 4096;  // several chunks even for a tiny net
    options.service.security = security;
    absl::StatusOr<std::unique_ptr<LearnerServer>> server =
        LearnerServer::Start(learner_.get(), options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::LearnerService::NewStub(MakeChannel(absl::StrCat("127.0.0.1:", server_->port())));
  }
  void Restart() {
    server_.reset();
    learner_.reset();
    Start();
  }

  v1::Game Game(const GameRecord& record, const std::string& id) {
    v1::Game game;
    game.set_game_id(id);
    game.set_record(SerializeGameRecord(record));
    return game;
  }

  // One request on a fresh stream; the ack, or the stream's status when there is none.
  grpc::Status Submit(const v1::SubmitGamesRequest& request, v1::SubmitGamesAck* ack) {
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    auto stream = stub_->SubmitGames(&context);
    const bool got = stream->Write(request) && stream->WritesDone() && stream->Read(ack);
    grpc::Status status = stream->Finish();
    if (got && status.ok()) return status;
    return status.ok() ? grpc::Status(grpc::StatusCode::UNKNOWN, "no ack") : status;
  }

  testing::ScopedTempDir dir_{"learner_service"};
  std::unique_ptr<Learner> learner_;
  std::unique_ptr<LearnerServer> server_;
  std::unique_ptr<v1::LearnerService::Stub> stub_;
};

TEST_F(LearnerServiceTest, RunConfigIsWhatActorsNeed) {
  grpc::ClientContext context;
  context.set_deadline(Deadline());
  v1::RunConfig config;
  ASSERT_TRUE(stub_->GetRunConfig(&context, v1::GetRunConfigRequest(), &config).ok());
  EXPECT_EQ(config.run_id(), "test-run");
  EXPECT_EQ(config.net().channels(), 8u);
  EXPECT_EQ(config.model_version(), 0);
  absl::StatusOr<SelfPlayOptions> selfplay = SelfPlayOptionsFromRunConfig(config);
  ASSERT_TRUE(selfplay.ok()) << selfplay.status();
  EXPECT_EQ(selfplay->rules, learner_->options().rules);
  EXPECT_EQ(selfplay->search.simulations, 32);
  EXPECT_EQ(selfplay->parallel_games, 12);
}

TEST_F(LearnerServiceTest, GamesAreAckedOnceStoredAndNeverCountedTwice) {
  const std::vector<GameRecord> games = SmallGames(6);
  v1::SubmitGamesRequest request;
  for (int i = 0; i < 4; ++i) *request.add_games() = Game(games[i], absl::StrCat("a-", i));
  v1::SubmitGamesAck ack;
  ASSERT_TRUE(Submit(request, &ack).ok());
  EXPECT_FALSE(ack.has_error()) << ack.error().message();
  EXPECT_EQ(ack.game_ids_size(), 4);
  EXPECT_EQ(ack.duplicates(), 0u);
  EXPECT_EQ(learner_->status().games, 4);
  EXPECT_EQ(learner_->status().games_stored, 4);

  // The same games again (an actor whose ack was lost) plus two new ones.
  for (int i = 4; i < 6; ++i) *request.add_games() = Game(games[i], absl::StrCat("a-", i));
  ASSERT_TRUE(Submit(request, &ack).ok());
  EXPECT_EQ(ack.game_ids_size(), 6);
  EXPECT_EQ(ack.duplicates(), 4u);
  EXPECT_EQ(learner_->status().games, 6);

  // A restart rebuilds the buffer from the store (no checkpoint was written) and still knows
  // every id.
  Restart();
  EXPECT_EQ(learner_->status().games, 6);
  EXPECT_EQ(learner_->status().games_stored, 6);
  ASSERT_TRUE(Submit(request, &ack).ok());
  EXPECT_EQ(ack.duplicates(), 6u);
  EXPECT_EQ(learner_->status().games, 6);
}

TEST_F(LearnerServiceTest, ActiveActorsCountsActorsWhoseGamesWereAcked) {
  const std::vector<GameRecord> games = SmallGames(3);
  EXPECT_EQ(server_->ActiveActors(), 0);
  v1::SubmitGamesAck ack;
  for (int i = 0; i < 3; ++i) {  // actor a twice, then actor b
    v1::SubmitGamesRequest request;
    request.set_actor_id(i < 2 ? "actor-a" : "actor-b");
    *request.add_games() = Game(games[i], absl::StrCat("g-", i));
    ASSERT_TRUE(Submit(request, &ack).ok());
    ASSERT_FALSE(ack.has_error()) << ack.error().message();
  }
  v1::SubmitGamesRequest rejected;  // no games: an error, not an active actor
  rejected.set_actor_id("actor-c");
  ASSERT_TRUE(Submit(rejected, &ack).ok());
  EXPECT_TRUE(ack.has_error());
  EXPECT_EQ(server_->ActiveActors(), 2);
}

TEST_F(LearnerServiceTest, CheckpointPlusStoreHoldsEveryAckedGameExactlyOnce) {
  const std::vector<GameRecord> games = SmallGames(8, 3);
  v1::SubmitGamesRequest first;
  for (int i = 0; i < 5; ++i) *first.add_games() = Game(games[i], absl::StrCat("b-", i));
  v1::SubmitGamesAck ack;
  ASSERT_TRUE(Submit(first, &ack).ok());
  ASSERT_TRUE(learner_->SaveCheckpoint().ok());
  v1::SubmitGamesRequest second;  // after the checkpoint: only the store has these
  for (int i = 5; i < 8; ++i) *second.add_games() = Game(games[i], absl::StrCat("b-", i));
  ASSERT_TRUE(Submit(second, &ack).ok());
  const int64_t positions = learner_->status().positions;
  Restart();
  EXPECT_TRUE(learner_->resumed());
  EXPECT_EQ(learner_->status().games, 8);
  EXPECT_EQ(learner_->status().positions, positions);
}

TEST_F(LearnerServiceTest, UnparseableMessageEndsTheStreamWithInvalidArgument) {
  // A raw stream: one valid request, then bytes that are no SubmitGamesRequest (field 1 as a
  // 5-byte string with 2 bytes behind it), then a valid one that must not be read.
  v1::SubmitGamesRequest good;
  *good.add_games() = Game(SmallGames(1)[0], "raw-1");
  const std::string garbage =
      "\x0a\x05"
      "ab";
  v1::SubmitGamesRequest probe;
  ASSERT_FALSE(probe.ParseFromString(garbage));
  v1::SubmitGamesRequest after;
  *after.add_games() = Game(SmallGames(2)[1], "raw-2");
  grpc::ClientContext context;
  context.set_deadline(Deadline());
  auto channel = MakeChannel(absl::StrCat("127.0.0.1:", server_->port()));
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
          channel.get(),
          grpc::internal::RpcMethod("/zerofleet.v1.LearnerService/SubmitGames",
                                    grpc::internal::RpcMethod::BIDI_STREAMING),
          &context));
  int acks = 0;
  for (const std::string& bytes : {good.SerializeAsString(), garbage, after.SerializeAsString()}) {
    grpc::Slice slice(bytes);
    if (!stream->Write(grpc::ByteBuffer(&slice, 1))) break;
  }
  stream->WritesDone();
  grpc::ByteBuffer in;
  while (stream->Read(&in)) ++acks;
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_NE(status.error_message().find("message 2"), std::string::npos) << status.error_message();
  EXPECT_EQ(acks, 1);  // the request before it; nothing after it
  EXPECT_EQ(learner_->status().games_stored, 1);
}

TEST_F(LearnerServiceTest, BadRequestsGetClearErrorsAndTheServerGoesOn) {
  const std::vector<GameRecord> games = SmallGames(1);
  v1::SubmitGamesAck ack;
  struct Case {
    std::string name;
    v1::SubmitGamesRequest request;
    int code;
    std::string text;
  };
  std::vector<Case> cases;
  cases.push_back({"empty", {}, grpc::StatusCode::INVALID_ARGUMENT, "without games"});
  {
    Case c{"too many", {}, grpc::StatusCode::RESOURCE_EXHAUSTED, "at most 8"};
    for (int i = 0; i < 9; ++i) *c.request.add_games() = Game(games[0], absl::StrCat("m-", i));
    cases.push_back(c);
  }
  {
    Case c{"garbage record", {}, grpc::StatusCode::INVALID_ARGUMENT, "g-1: bad record"};
    v1::Game* g = c.request.add_games();
    g->set_game_id("g-1");
    g->set_record("not a game record");
    cases.push_back(c);
  }
  {
    Case c{"no id", {}, grpc::StatusCode::INVALID_ARGUMENT, "game id"};
    *c.request.add_games() = Game(games[0], "");
    cases.push_back(c);
  }
  {
    SelfPlayOptions other;  // a real game under other rules
    other.rules.size = 5;
    other.rules.win_length = 4;
    other.search.simulations = 8;
    other.parallel_games = 1;
    other.max_games = 1;
    UniformEvaluator uniform;
    const std::vector<GameRecord> wrong = testing_records::SelfPlayGames(other, &uniform);
    Case c{"wrong board", {}, grpc::StatusCode::INVALID_ARGUMENT, "5x5"};
    *c.request.add_games() = Game(wrong.at(0), "w-1");
    cases.push_back(c);
  }
  // Results that do not follow from the moves (a buggy or hostile actor): refused, not trained
  // on. Before CheckFinishedGame these were acked and stored.
  auto altered = [&](const char* name, int moves, Outcome result, const char* text) {
    GameRecord r = games[0];
    r.moves.resize(std::min<size_t>(r.moves.size(), moves));
    r.result = result;
    Case c{name, {}, grpc::StatusCode::INVALID_ARGUMENT, text};
    *c.request.add_games() = Game(r, absl::StrCat("r-", name));
    cases.push_back(c);
  };
  altered("win without a five", 3, Outcome::kBlackWin, "no five");
  altered("white wins after 0 moves", 0, Outcome::kWhiteWin, "no five");
  altered("draw after 4 moves", 4, Outcome::kDraw, "no five");
  {
    GameRecord r = games[0];
    r.moves[0].root_value = 3.0f;
    Case c{"root value 3", {}, grpc::StatusCode::INVALID_ARGUMENT, "root value"};
    *c.request.add_games() = Game(r, "r-value");
    cases.push_back(c);
  }
  for (const Case& c : cases) {
    ASSERT_TRUE(Submit(c.request, &ack).ok()) << c.name;
    EXPECT_EQ(ack.error().code(), c.code) << c.name << ": " << ack.error().message();
    EXPECT_NE(ack.error().message().find(c.text), std::string::npos)
        << c.name << ": " << ack.error().message();
    EXPECT_EQ(ack.game_ids_size(), 0) << c.name;
  }
  EXPECT_EQ(learner_->status().games_stored, 0);  // nothing of a refused request is stored

  // Over the 4 MiB message limit: the stream itself fails with RESOURCE_EXHAUSTED.
  v1::SubmitGamesRequest huge;
  v1::Game* g = huge.add_games();
  g->set_game_id("huge");
  g->set_record(std::string(5 << 20, 'x'));
  grpc::Status status = Submit(huge, &ack);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();

  // Not a model version.
  grpc::ClientContext context;
  context.set_deadline(Deadline());
  v1::WatchModelRequest watch;
  watch.set_have_version(-5);
  auto reader = stub_->WatchModel(&context, watch);
  v1::ModelChunk chunk;
  EXPECT_FALSE(reader->Read(&chunk));
  status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("-5"), std::string::npos);

  // Still serving.
  v1::SubmitGamesRequest good;
  *good.add_games() = Game(games[0], "ok-1");
  ASSERT_TRUE(Submit(good, &ack).ok());
  EXPECT_FALSE(ack.has_error());
  EXPECT_EQ(learner_->status().games_stored, 1);
}

// Reads one whole model version from `reader`.
bool ReadModel(grpc::ClientReader<v1::ModelChunk>* reader, int64_t* version, std::string* sha,
               std::string* bytes, int* chunks) {
  bytes->clear();
  *chunks = 0;
  v1::ModelChunk chunk;
  while (reader->Read(&chunk)) {
    EXPECT_EQ(chunk.chunk_index(), static_cast<uint32_t>(*chunks));
    ++*chunks;
    *bytes += chunk.data();
    *version = chunk.version();
    *sha = chunk.sha256();
    if (chunk.chunk_index() + 1 == chunk.total_chunks()) {
      EXPECT_EQ(bytes->size(), chunk.total_bytes());
      return true;
    }
  }
  return false;
}

TEST_F(LearnerServiceTest, WatchModelStreamsEveryNewVersionInCheckedChunks) {
  grpc::ClientContext context;
  context.set_deadline(Deadline(30));
  v1::WatchModelRequest watch;
  watch.set_have_version(-1);
  auto reader = stub_->WatchModel(&context, watch);
  int64_t version = -1;
  std::string sha, bytes;
  int chunks = 0;
  ASSERT_TRUE(ReadModel(reader.get(), &version, &sha, &bytes, &chunks));
  EXPECT_EQ(version, 0);
  EXPECT_GT(chunks, 1);
  EXPECT_EQ(Sha256Hex(bytes), sha);
  absl::StatusOr<LoadedModel> model = DeserializeModel(bytes, "v0");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->config.channels, 8);

  // A checkpoint publishes the next version; the open stream delivers it.
  ASSERT_TRUE(learner_->SaveCheckpoint().ok());
  ASSERT_TRUE(ReadModel(reader.get(), &version, &sha, &bytes, &chunks));
  EXPECT_EQ(version, 1);
  EXPECT_EQ(Sha256Hex(bytes), sha);
  context.TryCancel();
  reader->Finish();

  // A watcher claiming a version the learner never had (lost in a learner crash) gets the
  // newest at once.
  grpc::ClientContext context2;
  context2.set_deadline(Deadline());
  watch.set_have_version(99);
  auto reader2 = stub_->WatchModel(&context2, watch);
  ASSERT_TRUE(ReadModel(reader2.get(), &version, &sha, &bytes, &chunks));
  EXPECT_EQ(version, 1);
  context2.TryCancel();
  reader2->Finish();
}

TEST_F(LearnerServiceTest, ServerShutdownEndsOpenWatchStreams) {
  grpc::ClientContext context;
  context.set_deadline(Deadline(30));
  v1::WatchModelRequest watch;
  watch.set_have_version(0);  // nothing newer yet: the call waits
  auto reader = stub_->WatchModel(&context, watch);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    server_->Shutdown();
  });
  v1::ModelChunk chunk;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(reader->Read(&chunk));
  EXPECT_FALSE(reader->Finish().ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  stopper.join();
}

}  // namespace
}  // namespace zf
