#include "tools/zerofleet/metrics_flags.h"

#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_DECLARE_FLAG(int, metrics_port);
ABSL_DECLARE_FLAG(std::string, metrics_address);

namespace zf::cli {

absl::Status CheckMetricsFlags() {
  const int port = absl::GetFlag(FLAGS_metrics_port);
  if (port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics-port: ", port, " out of range: 0 (off) or 1..65535"));
  }
  return absl::OkStatus();
}

bool MetricsWanted() { return absl::GetFlag(FLAGS_metrics_port) != 0; }

absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetricsServer(
    std::shared_ptr<prometheus::Registry> registry) {
  if (absl::Status s = CheckMetricsFlags(); !s.ok()) return s;
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
