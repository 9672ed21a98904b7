#include "learner/learner_service.h"

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/support/method_handler.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/grpc_options.h"
#include "common/rpc/run_config.h"

namespace zf {
namespace {

namespace v1 = zerofleet::v1;

constexpr char kService[] = "zerofleet.v1.LearnerService";
constexpr int kMaxGameIdBytes = 128;

void SetError(v1::SubmitGamesAck* ack, absl::StatusCode code, const std::string& message) {
  ack->clear_game_ids();
  ack->set_duplicates(0);
  ack->mutable_error()->set_code(static_cast<int>(code));
  ack->mutable_error()->set_message(message);
}

}  // namespace

LearnerServiceImpl::LearnerServiceImpl(Learner* learner, const LearnerServiceOptions& options)
    : learner_(learner), options_(options) {
  // Method 1 of the service (proto order) is SubmitGames.
  MarkMethodStreamed(1,
                     new grpc::internal::BidiStreamingHandler<LearnerServiceImpl, grpc::ByteBuffer,
                                                              grpc::ByteBuffer>(
                         [](LearnerServiceImpl* service, grpc::ServerContext* context,
                            grpc::ServerReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>* stream) {
                           return service->SubmitGamesRaw(context, stream);
                         },
                         this));
}

grpc::Status LearnerServiceImpl::GetRunConfig(grpc::ServerContext* context,
                                              const v1::GetRunConfigRequest* request,
                                              v1::RunConfig* response) {
  if (grpc::Status s =
          AuthorizeCall(*context, options_.security, "/zerofleet.v1.LearnerService/GetRunConfig");
      !s.ok()) {
    return s;
  }
  FillRunConfig(options_.selfplay, response);
  response->set_run_id(options_.run_id);
  const NetConfig& net = learner_->net_config();
  response->mutable_net()->set_blocks(net.blocks);
  response->mutable_net()->set_channels(net.channels);
  response->mutable_net()->set_value_channels(net.value_channels);
  response->mutable_net()->set_value_hidden(net.value_hidden);
  response->set_model_version(learner_->status().model_version);
  return grpc::Status::OK;
}

v1::SubmitGamesAck LearnerServiceImpl::Handle(const v1::SubmitGamesRequest& request) {
  v1::SubmitGamesAck ack;
  if (request.games_size() == 0) {
    SetError(&ack, absl::StatusCode::kInvalidArgument, "SubmitGames request without games");
    return ack;
  }
  if (request.games_size() > options_.max_games_per_request) {
    SetError(&ack, absl::StatusCode::kResourceExhausted,
             absl::StrCat(request.games_size(), " games in one request; at most ",
                          options_.max_games_per_request));
    return ack;
  }
  std::vector<IncomingGame> games;
  games.reserve(request.games_size());
  for (const v1::Game& game : request.games()) {
    if (game.game_id().empty() || game.game_id().size() > kMaxGameIdBytes) {
      SetError(&ack, absl::StatusCode::kInvalidArgument,
               absl::StrCat("game id must be 1..", kMaxGameIdBytes, " bytes, got ",
                            game.game_id().size()));
      return ack;
    }
    absl::StatusOr<GameRecord> record = ParseGameRecord(game.record());
    if (!record.ok()) {
      SetError(&ack, absl::StatusCode::kInvalidArgument,
               absl::StrCat("game ", game.game_id(), ": bad record: ", record.status().message()));
      return ack;
    }
    games.push_back(
        IncomingGame{game.game_id(), game.model_version(), *std::move(record), game.record()});
  }
  absl::StatusOr<SubmitResult> result = learner_->Submit(std::move(games));
  if (!result.ok()) {
    SetError(&ack, result.status().code(), std::string(result.status().message()));
    return ack;
  }
  for (const v1::Game& game : request.games()) ack.add_game_ids(game.game_id());
  ack.set_duplicates(result->duplicates);
  stats_.games_acked += request.games_size();
  stats_.duplicates += result->duplicates;
  if (!request.actor_id().empty()) NoteActor(request.actor_id().substr(0, 128));
  return ack;
}

void LearnerServiceImpl::NoteActor(const std::string& actor_id) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&actors_mu_);
  if (actor_last_ack_.size() >= kMaxTrackedActors && !actor_last_ack_.contains(actor_id)) {
    for (auto it = actor_last_ack_.begin(); it != actor_last_ack_.end();) {
      if (now - it->second > kActiveWindow) {
        actor_last_ack_.erase(it++);
      } else {
        ++it;
      }
    }
    if (actor_last_ack_.size() >= kMaxTrackedActors) return;
  }
  actor_last_ack_[actor_id] = now;
}

int LearnerServiceImpl::ActiveActors(absl::Duration window) const {
  const absl::Time since = absl::Now() - window;
  absl::MutexLock lock(&actors_mu_);
  int active = 0;
  for (const auto& [id, last] : actor_last_ack_) active += last >= since ? 1 : 0;
  return active;
}

grpc::Status LearnerServiceImpl::SubmitGamesRaw(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>* stream) {
  if (grpc::Status s =
          AuthorizeCall(*context, options_.security, "/zerofleet.v1.LearnerService/SubmitGames");
      !s.ok()) {
    return s;
  }
  if (stats_.open_submit_streams.fetch_add(1) >= options_.max_submit_streams) {
    --stats_.open_submit_streams;
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("the learner already serves ", options_.max_submit_streams,
                                     " SubmitGames streams; retry later"));
  }
  grpc::ByteBuffer bytes;
  v1::SubmitGamesRequest request;
  grpc::Status status = grpc::Status::OK;
  for (int64_t n = 1; stream->Read(&bytes); ++n) {
    if (!grpc::SerializationTraits<v1::SubmitGamesRequest>::Deserialize(&bytes, &request).ok()) {
      status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            absl::StrCat("message ", n,
                                         " on this stream is not a "
                                         "SubmitGamesRequest; the stream ends here (the requests "
                                         "before it were acked)"));
      break;
    }
    const v1::SubmitGamesAck ack = Handle(request);
    if (ack.has_error()) ++stats_.rejected_requests;
    bool own = false;
    if (!grpc::SerializationTraits<v1::SubmitGamesAck>::Serialize(ack, &bytes, &own).ok() ||
        !stream->Write(bytes)) {
      status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "client went away before the ack");
      break;
    }
  }
  --stats_.open_submit_streams;
  return status;
}

grpc::Status LearnerServiceImpl::WatchModel(grpc::ServerContext* context,
                                            const v1::WatchModelRequest* request,
                                            grpc::ServerWriter<v1::ModelChunk>* writer) {
  if (grpc::Status s =
          AuthorizeCall(*context, options_.security, "/zerofleet.v1.LearnerService/WatchModel");
      !s.ok()) {
    return s;
  }
  if (request->have_version() < -1) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("have_version ", request->have_version(),
                                     " is not a model version (-1 = none yet)"));
  }
  if (!learner_->options().export_models) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "this learner exports no models");
  }
  if (stats_.open_watch_streams.fetch_add(1) >= options_.max_watch_streams) {
    --stats_.open_watch_streams;
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("the learner already serves ", options_.max_watch_streams,
                                     " WatchModel streams; retry later"));
  }
  int64_t have = request->have_version();
  // A version above the newest is one published after the learner's last checkpoint and lost
  // in a crash: send the newest at once so the watcher replaces it.
  if (std::shared_ptr<const PublishedModel> newest = learner_->published_model();
      newest != nullptr && have > newest->version) {
    have = newest->version - 1;
  }
  grpc::Status status = grpc::Status::OK;
  while (!context->IsCancelled()) {
    std::shared_ptr<const PublishedModel> model =
        learner_->WaitForModel(have, absl::Now() + absl::Seconds(1));
    if (model == nullptr) {
      if (learner_->shutting_down()) {
        status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "learner shutting down");
        break;
      }
      continue;
    }
    const int64_t total = static_cast<int64_t>(model->bytes.size());
    const int chunks = static_cast<int>(
        std::max<int64_t>(1, (total + options_.chunk_bytes - 1) / options_.chunk_bytes));
    bool sent = true;
    for (int i = 0; i < chunks && sent; ++i) {
      v1::ModelChunk chunk;
      chunk.set_version(model->version);
      chunk.set_sha256(model->sha256);
      chunk.set_total_bytes(static_cast<uint64_t>(total));
      chunk.set_chunk_index(static_cast<uint32_t>(i));
      chunk.set_total_chunks(static_cast<uint32_t>(chunks));
      const int64_t begin = int64_t{i} * options_.chunk_bytes;
      chunk.set_data(model->bytes.substr(begin, options_.chunk_bytes));
      sent = writer->Write(chunk);
    }
    if (!sent) break;  // the watcher went away
    ++stats_.models_sent;
    have = model->version;
  }
  --stats_.open_watch_streams;
  return status;
}

absl::StatusOr<std::unique_ptr<LearnerServer>> LearnerServer::Start(
    Learner* learner, const LearnerServerOptions& options) {
  if (options.service.selfplay.rules != learner->options().rules) {
    return absl::InvalidArgumentError("the service's rules differ from the learner's");
  }
  std::unique_ptr<LearnerServer> server(new LearnerServer());
  server->learner_ = learner;
  server->service_ = std::make_unique<LearnerServiceImpl>(learner, options.service);
  absl::StatusOr<std::unique_ptr<grpc::Server>> grpc_server = StartGrpcServer(
      options.address, options.port, MakeServerCredentials(options.service.security),
      server->service_.get(), kService, &server->port_, options.reflection);
  if (!grpc_server.ok()) return grpc_server.status();
  server->server_ = *std::move(grpc_server);
  LearnerServer* s = server.get();
  s->health_thread_ = std::thread([s, poll = options.health_poll] { s->FollowHealth(poll); });
  return server;
}

void LearnerServer::FollowHealth(absl::Duration poll) {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  bool serving = true;
  absl::MutexLock lock(&health_mu_);
  while (!stop_health_) {
    const absl::Status storage = learner_->storage_status();
    if (health != nullptr && storage.ok() != serving) {
      serving = storage.ok();
      health->SetServingStatus(kService, serving);
    }
    health_mu_.AwaitWithTimeout(absl::Condition(&stop_health_), poll);
  }
}

LearnerServer::~LearnerServer() { Shutdown(); }

void LearnerServer::Shutdown(absl::Duration grace) {
  if (shut_down_.exchange(true) || server_ == nullptr) return;
  {
    absl::MutexLock lock(&health_mu_);
    stop_health_ = true;
  }
  if (health_thread_.joinable()) health_thread_.join();
  SetServing(server_.get(), kService, false);
  learner_->Shutdown();  // ends WatchModel waits
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  server_->Wait();
}

}  // namespace zf
