// Optional TLS and a shared token for every zerofleet gRPC endpoint. Implemented in
// security.cc. All functions are thread-safe; an RpcSecurity is immutable once loaded (its
// refusal log is internally locked), so one can be shared by every service and channel.
//
// - TLS: a server with a certificate chain and key serves TLS only (health included); a client
//   with a CA file verifies the server against it (the server's name or IP must be in the
//   certificate's subjectAltName, or tls_server_name overrides the name checked).
// - Token: a client sends "authorization: Bearer <token>" on every call. It is attached by a
//   client interceptor, not call credentials: gRPC refuses call credentials on plaintext
//   channels, and a token without TLS is still worth having on a private network.
// - Servers check the token in each service method (AuthorizeCall), so grpc.health.v1 (and
//   reflection) stay reachable without one, for Kubernetes and compose probes.
//
// Typical server:
//   builder.AddListeningPort(address, MakeServerCredentials(security), &port);
//   ... in a callback method:
//   if (grpc::Status s = AuthorizeCall(*context, security, kMethod); !s.ok())
//     return new FinishedBidiReactor<Request, Response>(s);
#ifndef ZEROFLEET_COMMON_RPC_SECURITY_H_
#define ZEROFLEET_COMMON_RPC_SECURITY_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace zf {

// Metadata key carrying the token, as "Bearer <token>" (the usual HTTP form, so any gRPC
// client can send it: Python `metadata=(("authorization", "Bearer " + token),)`).
inline constexpr char kAuthorizationKey[] = "authorization";

// What the flags of a binary say. All empty: plaintext and no token (the default).
struct RpcSecurityOptions {
  std::string tls_cert_file;    // server: PEM certificate chain, leaf first (needs tls_key_file)
  std::string tls_key_file;     // server: PEM private key of the leaf (needs tls_cert_file)
  std::string tls_ca_file;      // client: PEM CA certificate(s) to verify servers; turns TLS on
  std::string tls_server_name;  // client: name to expect in the server certificate (needs CA)
  std::string token_file;       // both: the shared token; surrounding whitespace is trimmed
  // Refusal log rate limit (servers): at most `refusal_log_burst` lines per
  // `refusal_log_window`; the rest are counted and the count is added to the next line.
  int refusal_log_burst = 5;
  absl::Duration refusal_log_window = absl::Seconds(10);
};

class RefusalLog;  // security.cc

// The loaded, validated form of RpcSecurityOptions: files read once. Default constructed:
// plaintext, no token. Copies share one refusal log. Thread-safe (immutable).
class RpcSecurity {
 public:
  RpcSecurity() = default;

  bool server_tls() const { return !cert_chain_pem_.empty(); }
  bool client_tls() const { return !ca_pem_.empty(); }
  bool has_token() const { return !token_.empty(); }

 private:
  friend absl::StatusOr<RpcSecurity> LoadRpcSecurity(const RpcSecurityOptions& options);
  friend std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const RpcSecurity&);
  friend std::shared_ptr<grpc::Channel> MakeSecureChannel(const std::string&, const RpcSecurity&);
  friend grpc::Status AuthorizeCall(const grpc::ServerContextBase&, const RpcSecurity&,
                                    absl::string_view);
  friend std::string DescribeSecurity(const RpcSecurity&);

  std::string cert_chain_pem_;  // empty: plaintext server
  std::string private_key_pem_;
  std::string ca_pem_;  // empty: plaintext client
  std::string ca_file_;
  std::string server_name_;
  std::string token_;                        // empty: no token sent or required
  std::shared_ptr<RefusalLog> refusal_log_;  // set when token_ is
};

// Reads and checks the files: each error names the file and the problem (unreadable, empty
// token, not PEM, key not matching the certificate, a file given without its partner).
absl::StatusOr<RpcSecurity> LoadRpcSecurity(const RpcSecurityOptions& options);

// TLS server credentials when a certificate is configured, else insecure ones.
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const RpcSecurity& security);

// A channel to "host:port" with ClientChannelArguments(): TLS when a CA is configured, and the
// token attached to every call when one is configured (on plaintext channels too).
std::shared_ptr<grpc::Channel> MakeSecureChannel(const std::string& target,
                                                 const RpcSecurity& security);

// Call at the start of every RPC of a zerofleet service (never for health). OK when no token
// is configured or the call carries the right one (compared in constant time); otherwise
// UNAUTHENTICATED, and one line on stderr naming the peer and `method` (rate limited, never
// the token). `method` is the full name, e.g. "/zerofleet.v1.InferenceService/Evaluate".
grpc::Status AuthorizeCall(const grpc::ServerContextBase& context, const RpcSecurity& security,
                           absl::string_view method);

// For logs, without secrets: e.g. "plaintext, no token", "TLS serving, token",
// "TLS client (CA /etc/zf/ca.pem, server name learner), token".
std::string DescribeSecurity(const RpcSecurity& security);

// Reactors that end a call at once with `status` (an AuthorizeCall refusal). Return
// `new FinishedBidiReactor<Req, Resp>(status)` from a callback method: gRPC holds it until
// OnDone, which deletes it (the callback API's ownership rule). Unary methods need none:
// `auto* r = context->DefaultReactor(); r->Finish(status); return r;`.
template <class Request, class Response>
class FinishedBidiReactor final : public grpc::ServerBidiReactor<Request, Response> {
 public:
  explicit FinishedBidiReactor(grpc::Status status) { this->Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

template <class Response>
class FinishedWriteReactor final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit FinishedWriteReactor(grpc::Status status) { this->Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace zf

#endif  // ZEROFLEET_COMMON_RPC_SECURITY_H_
