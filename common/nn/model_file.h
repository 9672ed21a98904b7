// The model file: the network's architecture stored with its weights, so loading never needs
// matching flags. Implemented in model_file.cc. All functions are thread-safe (no shared state;
// `net` must not be trained concurrently while it is serialized).
//
// Layout (little-endian):
//
//   offset  size  field
//   0       4     magic "ZFNN"
//   4       4     u32 format version (kModelFormatVersion)
//   8       16    i32 x4 NetConfig: blocks, channels, value_channels, value_hidden
//   24      8     i64 model version (learner step / generation)
//   32      8     u64 W = length of the weights
//   40      W     weights: a LibTorch archive (torch::serialize), fp32 on CPU
//   40+W    4     u32 CRC-32 of bytes [0, 40+W)
#ifndef ZEROFLEET_COMMON_NN_MODEL_FILE_H_
#define ZEROFLEET_COMMON_NN_MODEL_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/nn/network.h"

namespace zf {

constexpr uint32_t kModelFormatVersion = 1;

struct LoadedModel {
  NetConfig config;
  int64_t version = 0;
  PolicyValueNet net{nullptr};  // on CPU, fp32, in eval mode
};

// Whatever device/dtype `net` lives on, the stored weights are fp32 CPU tensors.
absl::StatusOr<std::string> SerializeModel(PolicyValueNet& net, int64_t version);
// `name_for_errors` (a path, "stream from learner", ...) prefixes every error.
absl::StatusOr<LoadedModel> DeserializeModel(absl::string_view bytes,
                                             absl::string_view name_for_errors);

// Durable: written with WriteFileAtomically.
absl::Status SaveModel(const std::string& path, PolicyValueNet& net, int64_t version);
// On CPU. Errors name the file and the problem (bad magic, truncated, checksum mismatch,
// unsupported format version, weights that do not match the architecture).
absl::StatusOr<LoadedModel> LoadModel(const std::string& path);

// Lowercase hex SHA-256 of `bytes` (OpenSSL), to verify streamed weights.
std::string Sha256Hex(absl::string_view bytes);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_NN_MODEL_FILE_H_
