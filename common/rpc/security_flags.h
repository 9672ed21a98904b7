// The --tls-* and --token-file flags shared by every zerofleet binary that speaks gRPC, and
// their loaded form. Implemented in security_flags.cc (target zf_rpc_flags: link it only into
// binaries that should have these flags).
#ifndef ZEROFLEET_COMMON_RPC_SECURITY_FLAGS_H_
#define ZEROFLEET_COMMON_RPC_SECURITY_FLAGS_H_

#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "common/rpc/security.h"

ABSL_DECLARE_FLAG(std::string, tls_cert);
ABSL_DECLARE_FLAG(std::string, tls_key);
ABSL_DECLARE_FLAG(std::string, tls_ca);
ABSL_DECLARE_FLAG(std::string, tls_server_name);
ABSL_DECLARE_FLAG(std::string, token_file);

namespace zf {

// The flags, for the commands that take them (their --help, their list of accepted flags).
std::vector<const absl::CommandLineFlag*> SecurityFlags();

// LoadRpcSecurity of the flags; errors name the flag.
absl::StatusOr<RpcSecurity> RpcSecurityFromFlags();

}  // namespace zf

#endif  // ZEROFLEET_COMMON_RPC_SECURITY_FLAGS_H_
