#include "common/metrics/metrics_server.h"

#include <sys/socket.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "httplib.h"
#include "prometheus/text_serializer.h"

namespace zf {

MetricsServer::MetricsServer(std::string address, std::shared_ptr<prometheus::Registry> registry)
    : address_(std::move(address)),
      registry_(std::move(registry)),
      server_(std::make_unique<httplib::Server>()) {}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const MetricsServerOptions& options, std::shared_ptr<prometheus::Registry> registry) {
  if (registry == nullptr) return absl::InvalidArgumentError("metrics server: no registry");
  if (options.port < 0 || options.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics port ", options.port, " out of range: 0..65535"));
  }
  std::unique_ptr<MetricsServer> server(new MetricsServer(options.address, std::move(registry)));
  // The handler runs on httplib's worker threads; Collect() is thread-safe.
  prometheus::Registry* reg = server->registry_.get();
  server->server_->Get("/metrics", [reg](const httplib::Request&, httplib::Response& response) {
    const std::string text = prometheus::TextSerializer().Serialize(reg->Collect());
    response.set_content(text, "text/plain; version=0.0.4; charset=utf-8");
  });
  // httplib's default options add SO_REUSEPORT, which would let a second process share the
  // port and answer half the scrapes; keep only SO_REUSEADDR (fast restart after TIME_WAIT).
  server->server_->set_socket_options([](socket_t sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  if (options.port == 0) {
    server->port_ = server->server_->bind_to_any_port(options.address);
  } else if (server->server_->bind_to_port(options.address, options.port)) {
    server->port_ = options.port;
  } else {
    server->port_ = -1;
  }
  if (server->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("metrics server: cannot listen on ", options.address,
                                               ":", options.port,
                                               " (address in use or not local?)"));
  }
  httplib::Server* http = server->server_.get();
  server->thread_ = std::thread([http] { http->listen_after_bind(); });
  // stop() is a no-op until the listen loop runs, so the destructor could hang without this.
  for (int i = 0; i < 5000 && !http->is_running(); ++i) absl::SleepFor(absl::Milliseconds(1));
  if (!http->is_running()) return absl::InternalError("metrics server: listen loop did not start");
  return server;
}

MetricsServer::~MetricsServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string MetricsServer::url() const {
  return absl::StrCat("http://", address_, ":", port_, "/metrics");
}

}  // namespace zf
