#include "common/rpc/health_check.h"

#include <google/protobuf/io/coded_stream.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/rpc/grpc_options.h"

namespace zf {
namespace {

constexpr char kCheckMethod[] = "/grpc.health.v1.Health/Check";
constexpr uint32_t kWireVarint = 0;
constexpr uint32_t kWireFixed64 = 1;
constexpr uint32_t kWireLengthDelimited = 2;
constexpr uint32_t kWireFixed32 = 5;

// Skips one field of `wire_type`; false on truncated input or a type proto3 never writes.
bool SkipField(uint32_t wire_type, google::protobuf::io::CodedInputStream* in) {
  uint64_t u64 = 0;
  uint32_t u32 = 0;
  switch (wire_type) {
    case kWireVarint:
      return in->ReadVarint64(&u64);
    case kWireFixed64:
      return in->ReadLittleEndian64(&u64);
    case kWireLengthDelimited:
      return in->ReadVarint32(&u32) && in->Skip(static_cast<int>(u32));
    case kWireFixed32:
      return in->ReadLittleEndian32(&u32);
    default:
      return false;
  }
}

std::shared_ptr<grpc::Channel> MakeProbeChannel(const HealthCheckOptions& options) {
  if (options.tls_ca_pem.empty()) return MakeChannel(options.target);
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.tls_ca_pem;
  grpc::ChannelArguments args = ClientChannelArguments();
  if (!options.tls_server_name.empty()) args.SetSslTargetNameOverride(options.tls_server_name);
  return grpc::CreateCustomChannel(options.target, grpc::SslCredentials(ssl), args);
}

}  // namespace

const char* ServingStatusName(ServingStatus status) {
  switch (status) {
    case ServingStatus::kUnknown:
      return "UNKNOWN";
    case ServingStatus::kServing:
      return "SERVING";
    case ServingStatus::kNotServing:
      return "NOT_SERVING";
    case ServingStatus::kServiceUnknown:
      return "SERVICE_UNKNOWN";
  }
  return "UNKNOWN";
}

std::string EncodeHealthCheckRequest(absl::string_view service) {
  std::string out;
  if (service.empty()) return out;  // proto3 leaves a default field out
  out.push_back(static_cast<char>((1 << 3) | kWireLengthDelimited));
  for (uint64_t n = service.size(); true; n >>= 7) {  // the length as a varint
    if (n < 0x80) {
      out.push_back(static_cast<char>(n));
      break;
    }
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
  }
  out.append(service.data(), service.size());
  return out;
}

absl::StatusOr<ServingStatus> DecodeHealthCheckResponse(absl::string_view bytes) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  uint32_t status = 0;
  while (true) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) break;
    const uint32_t field = tag >> 3;
    const uint32_t wire_type = tag & 7;
    if (field == 1 && wire_type == kWireVarint) {
      if (!in.ReadVarint32(&status)) {
        return absl::InvalidArgumentError("health response: truncated status");
      }
    } else if (!SkipField(wire_type, &in)) {
      return absl::InvalidArgumentError(
          absl::StrCat("health response: malformed field ", field, " (wire type ", wire_type, ")"));
    }
  }
  if (in.CurrentPosition() != static_cast<int>(bytes.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("health response: malformed at byte ", in.CurrentPosition()));
  }
  if (status > static_cast<uint32_t>(ServingStatus::kServiceUnknown)) {
    return absl::InvalidArgumentError(absl::StrCat("health response: unknown status ", status));
  }
  return static_cast<ServingStatus>(status);
}

absl::StatusOr<ServingStatus> CheckHealth(const HealthCheckOptions& options) {
  if (options.target.empty()) return absl::InvalidArgumentError("no target address");
  return CheckHealth(MakeProbeChannel(options), options.service, options.timeout);
}

absl::StatusOr<ServingStatus> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                          absl::string_view service, absl::Duration timeout) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));

  const std::string request_bytes = EncodeHealthCheckRequest(service);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status call_status;
  absl::Notification done;
  stub.UnaryCall(&context, kCheckMethod, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   call_status = std::move(s);
                   done.Notify();
                 });
  // The deadline ends the call; the extra second only guards against a stuck library.
  if (!done.WaitForNotificationWithTimeout(timeout + absl::Seconds(1))) {
    context.TryCancel();
    done.WaitForNotification();  // a cancelled call always completes
  }
  if (!call_status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(call_status.error_code()),
                        call_status.error_message());
  }
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) {
    return absl::InternalError("health response: could not read the reply");
  }
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return DecodeHealthCheckResponse(bytes);
}

}  // namespace zf
