// --metrics-port / --metrics-address for the long-running commands (train, learner, actor,
// inference-server): one range check and one way to start the /metrics server. Implemented in
// metrics_flags.cc (the flags are defined in cmd_train.cc).
#ifndef ZEROFLEET_TOOLS_ZEROFLEET_METRICS_FLAGS_H_
#define ZEROFLEET_TOOLS_ZEROFLEET_METRICS_FLAGS_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/metrics/metrics_server.h"

namespace zf::cli {

// Checks --metrics-port (0 = off, else 1..65535); run it before starting any work.
absl::Status CheckMetricsFlags();
// Whether --metrics-port asks for a server.
bool MetricsWanted();
// Serves `registry` at --metrics-address:--metrics-port; the error names the flag.
absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetricsServer(
    std::shared_ptr<prometheus::Registry> registry);

}  // namespace zf::cli

#endif  // ZEROFLEET_TOOLS_ZEROFLEET_METRICS_FLAGS_H_
