#include "tools/zerofleet/metrics_flags.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(int, metrics_port, 0, "Serve Prometheus metrics on this port at /metrics; 0 = off");
ABSL_FLAG(std::string, metrics_address, "127.0.0.1",
          "Address for --metrics-port (0.0.0.0 to be scraped from other hosts)");

namespace zf::cli {

FlagList MetricsFlags() {
  return {{FLAGS_metrics_port, FlagRange::Between(0, 65535)}, FLAGS_metrics_address};
}

bool MetricsWanted() { return absl::GetFlag(FLAGS_metrics_port) != 0; }

absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetricsServer(
    std::shared_ptr<prometheus::Registry> registry) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> server = MetricsServer::Start(
      MetricsServerOptions{absl::GetFlag(FLAGS_metrics_address), absl::GetFlag(FLAGS_metrics_port)},
      std::move(registry));
  if (!server.ok()) {
    return absl::Status(server.status().code(),
                        absl::StrCat("--metrics-port: ", server.status().message()));
  }
  return server;
}

}  // namespace zf::cli
