// --metrics-port / --metrics-address for the long-running commands (train, learner, actor,
// inference-server): defined once in metrics_flags.cc, with one way to start the /metrics
// server.
#ifndef ZEROFLEET_TOOLS_ZEROFLEET_METRICS_FLAGS_H_
#define ZEROFLEET_TOOLS_ZEROFLEET_METRICS_FLAGS_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/metrics/metrics_server.h"
#include "tools/zerofleet/flag_spec.h"

namespace zf::cli {

// The two flags, for the commands that serve metrics (the port's range is checked before the
// command runs).
FlagList MetricsFlags();
// Whether --metrics-port asks for a server.
bool MetricsWanted();
// Serves `registry` at --metrics-address:--metrics-port; the error names the flag.
absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetricsServer(
    std::shared_ptr<prometheus::Registry> registry);

}  // namespace zf::cli

#endif  // ZEROFLEET_TOOLS_ZEROFLEET_METRICS_FLAGS_H_
