// Settings shared by every zerofleet gRPC server and client, so both sides agree on them.
// Implemented in grpc_options.cc. All functions are thread-safe.
//
// - Message limits: 4 MiB each way, set explicitly (model weights travel in chunks below it).
// - Keepalive: clients ping every kKeepaliveTimeMs even when idle and drop the connection if
//   no ack within kKeepaliveTimeoutMs; servers accept pings that often (a server rejecting
//   "too many pings" is the classic mismatch) and ping idle clients themselves.
// - Every server registers grpc.health.v1 (default health service); reflection only when asked
//   (ReflectionWanted: on by default without a token, off with one, since reflection answers
//   callers without a token and each of its streams holds a server thread).
#ifndef ZEROFLEET_COMMON_RPC_GRPC_OPTIONS_H_
#define ZEROFLEET_COMMON_RPC_GRPC_OPTIONS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace zf {

constexpr int kMaxMessageBytes = 4 * 1024 * 1024;
constexpr int kKeepaliveTimeMs = 20000;
constexpr int kKeepaliveTimeoutMs = 10000;
// Servers allow client pings at most this often (must be <= kKeepaliveTimeMs).
constexpr int kMinPingIntervalMs = 10000;

// Channel arguments for clients: message limits and keepalive.
grpc::ChannelArguments ClientChannelArguments();

// An insecure channel to "host:port" with ClientChannelArguments().
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target);

// Message limits and keepalive on `builder`.
void ApplyServerOptions(grpc::ServerBuilder* builder);

// Turns on the grpc.health.v1 service and reflection for servers built after this call.
// (Both are process-wide switches in gRPC; calling it again is harmless.) StartGrpcServer
// decides reflection per server, whatever this says.
void EnableHealthAndReflection();

// The --reflection flag's meaning: "on", "off", or "auto" (on unless a token is required).
absl::StatusOr<bool> ReflectionWanted(const std::string& setting, bool has_token);

// After BuildAndStart: marks the overall health and `service_name` as SERVING (or not).
void SetServing(grpc::Server* server, const std::string& service_name, bool serving);

// A running server on "<address>:<port>" (port 0: the system picks one, written to
// *bound_port) with the options above, health, reflection when `reflection`, `service` (not
// owned; must outlive the server) registered and marked SERVING as `service_name`.
// UNAVAILABLE naming the address when it cannot listen there.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(
    const std::string& address, int port, std::shared_ptr<grpc::ServerCredentials> credentials,
    grpc::Service* service, const std::string& service_name, int* bound_port,
    bool reflection = false);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_RPC_GRPC_OPTIONS_H_
