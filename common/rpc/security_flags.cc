#include "common/rpc/security_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, tls_cert, "",
          "Server: PEM certificate chain; with --tls-key the server speaks TLS only");
ABSL_FLAG(std::string, tls_key, "", "Server: PEM private key of --tls-cert");
ABSL_FLAG(std::string, tls_ca, "",
          "Client: PEM CA certificate to verify servers with; turns TLS on for outgoing calls");
ABSL_FLAG(std::string, tls_server_name, "",
          "Client: name expected in the server certificate (default: the host dialled)");
ABSL_FLAG(std::string, token_file, "",
          "File holding the shared token: servers refuse calls without it, clients send it");

namespace zf {

std::vector<const absl::CommandLineFlag*> SecurityFlags() {
  return {&absl::GetFlagReflectionHandle(FLAGS_tls_cert),
          &absl::GetFlagReflectionHandle(FLAGS_tls_key),
          &absl::GetFlagReflectionHandle(FLAGS_tls_ca),
          &absl::GetFlagReflectionHandle(FLAGS_tls_server_name),
          &absl::GetFlagReflectionHandle(FLAGS_token_file)};
}

absl::StatusOr<RpcSecurity> RpcSecurityFromFlags() {
  RpcSecurityOptions options;
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  options.tls_ca_file = absl::GetFlag(FLAGS_tls_ca);
  options.tls_server_name = absl::GetFlag(FLAGS_tls_server_name);
  options.token_file = absl::GetFlag(FLAGS_token_file);
  absl::StatusOr<RpcSecurity> security = LoadRpcSecurity(options);
  if (!security.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-*/--token-file: ", security.status().message()));
  }
  return security;
}

}  // namespace zf
