// zerofleet-health-probe: asks a gRPC server's grpc.health.v1 service whether it serves, for
// Docker HEALTHCHECKs and scripts (Kubernetes uses its native gRPC probes instead). A thin
// main over health_check.h.
//
//   zerofleet-health-probe --addr learner:50051 [--service zerofleet.v1.LearnerService]
//                          [--timeout-ms 2000] [--tls-ca ca.pem [--tls-server-name NAME]]
//
// Exit status: 0 SERVING; 1 NOT_SERVING, unknown service, unreachable or no answer in time;
// 2 bad flags or an unreadable --tls-ca file. One line tells which (stdout when serving,
// stderr otherwise).
//
// Flags are parsed here, not by absl::ParseCommandLine, so that a bad flag exits with 2 and
// one line (absl exits with 1 and a longer report) and --help exits with 0.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/rpc/health_check.h"
#include "common/util/command_line.h"
#include "common/util/file_io.h"

ABSL_FLAG(std::string, addr, "", "Server to ask, host:port (required)");
ABSL_FLAG(std::string, service, "",
          "Service whose health to ask for, e.g. zerofleet.v1.LearnerService; without it, the "
          "server as a whole");
ABSL_FLAG(int, timeout_ms, 2000, "Deadline of the whole check, connecting included (1..600000)");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM file of the CA to verify the server's certificate; "
          "without it the check is plaintext");
ABSL_FLAG(std::string, tls_server_name, "",
          "Name expected in the server's certificate when it differs from the host in --addr");

namespace {

constexpr char kProgram[] = "zerofleet-health-probe";
constexpr int kExitServing = 0;
constexpr int kExitNotServing = 1;
constexpr int kExitBadFlags = 2;
const char* const kFlagNames[] = {"addr", "service", "timeout_ms", "tls_ca", "tls_server_name"};

int BadFlags(absl::string_view message) {
  std::fprintf(stderr, "%s: error: %.*s (see --help)\n", kProgram, static_cast<int>(message.size()),
               message.data());
  return kExitBadFlags;
}

void PrintHelp() {
  std::printf(
      "%s --addr HOST:PORT [flags]: calls grpc.health.v1.Health/Check; exit 0 when SERVING, "
      "1 when not serving, unreachable or too slow, 2 for bad flags\n\nFlags:\n",
      kProgram);
  for (const char* name : kFlagNames) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    const std::string default_value = flag->DefaultValue();
    const std::string shown_default =
        default_value.empty() ? "" : absl::StrCat(" (default ", default_value, ")");
    std::printf("  --%s  %s%s\n", absl::StrReplaceAll(name, {{"_", "-"}}).c_str(),
                flag->Help().c_str(), shown_default.c_str());
  }
}

bool IsOurFlag(absl::string_view name) {
  for (const char* n : kFlagNames) {
    if (name == n) return true;
  }
  return false;
}

// Sets the flags from argv. "--name=value" and "--name value", dashes or underscores in the
// name. An error message, or "" when every argument was a known flag with a valid value.
std::string ParseFlags(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = zf::NormaliseFlagName(argv[i]);
    if (arg.rfind("--", 0) != 0) return absl::StrCat("unexpected argument '", argv[i], "'");
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const std::string shown = absl::StrReplaceAll(name, {{"_", "-"}});
    if (!IsOurFlag(name)) return absl::StrCat("unknown flag --", shown);
    std::string value;
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::StrCat("flag --", shown, " needs a value");
    }
    std::string error;
    if (!absl::FindCommandLineFlag(name)->ParseFrom(value, &error)) {
      return absl::StrCat("--", shown, ": ", error);
    }
  }
  return "";
}

// gRPC's messages may hold newlines; the probe's report is one line.
std::string OneLine(absl::string_view s) {
  return absl::StrReplaceAll(s, {{"\r", " "}, {"\n", " "}});
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "--helpfull" || arg == "--helpshort") {
      PrintHelp();
      return kExitServing;
    }
  }
  if (const std::string error = ParseFlags(argc, argv); !error.empty()) return BadFlags(error);

  zf::HealthCheckOptions options;
  options.target = absl::GetFlag(FLAGS_addr);
  options.service = absl::GetFlag(FLAGS_service);
  const int timeout_ms = absl::GetFlag(FLAGS_timeout_ms);
  const std::string ca_path = absl::GetFlag(FLAGS_tls_ca);
  options.tls_server_name = absl::GetFlag(FLAGS_tls_server_name);
  if (options.target.empty()) return BadFlags("--addr HOST:PORT is required");
  if (timeout_ms < 1 || timeout_ms > 600000) {
    return BadFlags(absl::StrCat("--timeout-ms ", timeout_ms, " out of range 1..600000"));
  }
  options.timeout = absl::Milliseconds(timeout_ms);
  if (!options.tls_server_name.empty() && ca_path.empty()) {
    return BadFlags("--tls-server-name needs --tls-ca");
  }
  if (!ca_path.empty()) {
    absl::StatusOr<std::string> pem = zf::ReadFile(ca_path);
    if (!pem.ok()) return BadFlags(absl::StrCat("--tls-ca: ", pem.status().message()));
    if (pem->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return BadFlags(absl::StrCat("--tls-ca ", ca_path, " holds no PEM certificate"));
    }
    options.tls_ca_pem = *std::move(pem);
  }

  const std::string what = options.service.empty()
                               ? options.target
                               : absl::StrCat(options.target, " service '", options.service, "'");
  absl::StatusOr<zf::ServingStatus> status = zf::CheckHealth(options);
  if (status.ok() && *status == zf::ServingStatus::kServing) {
    std::printf("%s: %s: SERVING\n", kProgram, what.c_str());
    return kExitServing;
  }
  std::string reason;
  if (status.ok()) {
    reason = zf::ServingStatusName(*status);
  } else if (absl::IsDeadlineExceeded(status.status())) {
    reason = absl::StrCat("no answer within ", timeout_ms, " ms");
  } else if (absl::IsNotFound(status.status())) {
    reason = "the server does not know this service";
  } else if (absl::IsUnavailable(status.status())) {
    reason = absl::StrCat("unreachable (", OneLine(status.status().message()), ")");
  } else {
    reason = OneLine(status.status().ToString());
  }
  std::fprintf(stderr, "%s: %s: %s\n", kProgram, what.c_str(), reason.c_str());
  return kExitNotServing;
}
