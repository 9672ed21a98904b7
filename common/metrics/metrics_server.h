// Serves a prometheus-cpp registry as Prometheus text on http://<address>:<port>/metrics.
// Implemented in metrics_server.cc.
//
// Why not prometheus-cpp's own Exposer: its civetweb threads get a fixed small stack, and in a
// process that links Debian's LibTorch (large static TLS) civetweb fails with "Cannot create
// first worker thread". cpp-httplib uses std::thread (default stack), so it works there; only
// prometheus-cpp core (registry, families, text serializer) is used.
#ifndef ZEROFLEET_COMMON_METRICS_METRICS_SERVER_H_
#define ZEROFLEET_COMMON_METRICS_METRICS_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "prometheus/registry.h"

namespace httplib {
class Server;
}

namespace zf {

struct MetricsServerOptions {
  std::string address = "127.0.0.1";  // 0.0.0.0 to be scraped from other hosts
  int port = 0;                       // 0: the OS picks a free port (see port())
};

class MetricsServer {
 public:
  // Binds and starts serving on a background thread. GET /metrics returns the registry in the
  // Prometheus text format (0.0.4); any other path is 404. Fails when the address cannot be
  // bound (port in use, bad address). Thread-safe.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const MetricsServerOptions& options, std::shared_ptr<prometheus::Registry> registry);
  // Stops serving and joins the server thread.
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The bound port. Thread-safe.
  int port() const { return port_; }
  // "http://<address>:<port>/metrics". Thread-safe.
  std::string url() const;

 private:
  MetricsServer(std::string address, std::shared_ptr<prometheus::Registry> registry);

  const std::string address_;
  const std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace zf

#endif  // ZEROFLEET_COMMON_METRICS_METRICS_SERVER_H_
