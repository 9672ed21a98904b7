// A client for the standard gRPC health service (grpc.health.v1.Health/Check), without the
// health .proto: Debian's gRPC ships no generated C++ for it, so the two one-field messages are
// encoded by hand and sent through grpc::GenericStub. Implemented in health_check.cc.
// Used by zerofleet-health-probe (tools/health_probe) and the tests. All functions are
// thread-safe.
//
//   message HealthCheckRequest  { string service = 1; }
//   message HealthCheckResponse { ServingStatus status = 1; }  // UNKNOWN 0, SERVING 1,
//                                                              // NOT_SERVING 2, SERVICE_UNKNOWN 3
#ifndef ZEROFLEET_COMMON_RPC_HEALTH_CHECK_H_
#define ZEROFLEET_COMMON_RPC_HEALTH_CHECK_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace zf {

// grpc.health.v1.HealthCheckResponse.ServingStatus values.
enum class ServingStatus { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };

// "SERVING", "NOT_SERVING", ... (the proto's names).
const char* ServingStatusName(ServingStatus status);

struct HealthCheckOptions {
  std::string target;                         // "host:port" or any gRPC target ("dns:///name:port")
  std::string service;                        // "" asks for the server's overall health
  absl::Duration timeout = absl::Seconds(2);  // deadline of the whole call, connect included
  std::string tls_ca_pem;       // PEM of the CA to verify the server with; empty: plaintext
  std::string tls_server_name;  // name expected in the server's certificate (TLS only)
};

// The serialized HealthCheckRequest for `service`.
std::string EncodeHealthCheckRequest(absl::string_view service);

// The status in a serialized HealthCheckResponse (unknown fields skipped; an absent status
// is UNKNOWN, as proto3 says). InvalidArgument if the bytes are not such a message.
absl::StatusOr<ServingStatus> DecodeHealthCheckResponse(absl::string_view bytes);

// Calls Health/Check on `options.target` with the deadline `options.timeout`. The serving
// status when the server answered; otherwise the call's gRPC error (UNAVAILABLE when nothing
// listens, DEADLINE_EXCEEDED on timeout, NOT_FOUND for a service the server does not know).
absl::StatusOr<ServingStatus> CheckHealth(const HealthCheckOptions& options);

// The same over an existing channel (e.g. one from MakeSecureChannel), with `timeout`.
absl::StatusOr<ServingStatus> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                          absl::string_view service, absl::Duration timeout);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_RPC_HEALTH_CHECK_H_
