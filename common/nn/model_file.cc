#include "common/nn/model_file.h"

#include <openssl/evp.h>

#include <exception>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/util/bytes.h"
#include "common/util/file_io.h"

namespace zf {
namespace {

constexpr absl::string_view kMagic = "ZFNN";
constexpr size_t kHeaderSize = 40;
constexpr size_t kCrcSize = 4;

std::string ShapeString(const torch::Tensor& t) {
  return absl::StrCat("[", absl::StrJoin(t.sizes(), ", "), "]");
}

// Mirrors Module::save (one nested archive per child, so Module::load could read it too) but
// stores every tensor as a CPU tensor and floating tensors as fp32, whatever the net runs in.
void SaveModule(const torch::nn::Module& module, torch::serialize::OutputArchive& archive) {
  auto to_cpu = [](const torch::Tensor& t) {
    torch::Tensor cpu = t.detach().to(torch::kCPU);
    return cpu.is_floating_point() ? cpu.to(torch::kFloat32).contiguous() : cpu.contiguous();
  };
  for (const auto& p : module.named_parameters(/*recurse=*/false)) {
    archive.write(p.key(), to_cpu(p.value()));
  }
  for (const auto& b : module.named_buffers(/*recurse=*/false)) {
    archive.write(b.key(), to_cpu(b.value()), /*is_buffer=*/true);
  }
  for (const auto& child : module.named_children()) {
    torch::serialize::OutputArchive child_archive(archive.compilation_unit());
    SaveModule(*child.value(), child_archive);
    archive.write(child.key(), child_archive);
  }
}

// The strict counterpart of SaveModule: every tensor the module expects must be present with
// the same shape, and the archive may hold nothing else. (Module::load checks neither.)
absl::Status LoadModule(torch::nn::Module& module, torch::serialize::InputArchive& archive,
                        const std::string& prefix) {
  std::set<std::string> expected;
  auto read_tensor = [&](const std::string& key, torch::Tensor& target,
                         bool is_buffer) -> absl::Status {
    expected.insert(key);
    torch::Tensor stored;
    if (!archive.try_read(key, stored, is_buffer)) {
      return absl::DataLossError(absl::StrCat("weights lack tensor '", prefix, key, "'"));
    }
    if (!stored.sizes().equals(target.sizes())) {
      return absl::DataLossError(absl::StrCat("tensor '", prefix, key, "' has shape ",
                                              ShapeString(stored), ", architecture needs ",
                                              ShapeString(target)));
    }
    torch::NoGradGuard no_grad;
    target.copy_(stored);
    return absl::OkStatus();
  };
  for (auto& p : module.named_parameters(/*recurse=*/false)) {
    if (absl::Status s = read_tensor(p.key(), p.value(), false); !s.ok()) return s;
  }
  for (auto& b : module.named_buffers(/*recurse=*/false)) {
    if (absl::Status s = read_tensor(b.key(), b.value(), true); !s.ok()) return s;
  }
  for (auto& child : module.named_children()) {
    expected.insert(child.key());
    torch::serialize::InputArchive child_archive;
    if (!archive.try_read(child.key(), child_archive)) {
      return absl::DataLossError(absl::StrCat("weights lack module '", prefix, child.key(), "'"));
    }
    const std::string child_prefix = absl::StrCat(prefix, child.key(), ".");
    if (absl::Status s = LoadModule(*child.value(), child_archive, child_prefix); !s.ok()) {
      return s;
    }
  }
  for (const std::string& key : archive.keys()) {
    if (expected.count(key) == 0) {
      return absl::DataLossError(
          absl::StrCat("weights hold '", prefix, key, "', which the architecture lacks"));
    }
  }
  return absl::OkStatus();
}

absl::Status Prefixed(absl::string_view name, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("model '", name, "': ", s.message()));
}

}  // namespace

absl::StatusOr<std::string> SerializeModel(PolicyValueNet& net, int64_t version) {
  std::string weights;
  try {
    torch::serialize::OutputArchive archive;
    SaveModule(*net, archive);
    std::ostringstream stream;
    archive.save_to(stream);
    weights = std::move(stream).str();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("cannot serialize model weights: ", e.what()));
  }
  const NetConfig& c = net->config();
  ByteWriter w;
  w.Bytes(kMagic);
  w.U32(kModelFormatVersion);
  w.I32(c.blocks);
  w.I32(c.channels);
  w.I32(c.value_channels);
  w.I32(c.value_hidden);
  w.U64(static_cast<uint64_t>(version));
  w.U64(weights.size());
  w.Bytes(weights);
  const uint32_t crc = Crc32(w.data());
  w.U32(crc);
  return w.Release();
}

absl::StatusOr<LoadedModel> DeserializeModel(absl::string_view bytes,
                                             absl::string_view name_for_errors) {
  auto error = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("model '", name_for_errors, "': ", what));
  };
  // 1. Header: magic, format version, architecture, model version, weights length.
  if (bytes.empty()) return error("empty file");
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic) {
    return error("bad magic (not a zerofleet model file)");
  }
  if (bytes.size() < kHeaderSize + kCrcSize) {
    return error(absl::StrCat("truncated: ", bytes.size(), " bytes, shorter than the header"));
  }
  ByteReader r(bytes.substr(kMagic.size()));
  uint32_t format = 0;
  LoadedModel model;
  uint64_t version = 0;
  uint64_t weights_size = 0;
  NetConfig& c = model.config;
  r.U32(&format);
  r.I32(&c.blocks);
  r.I32(&c.channels);
  r.I32(&c.value_channels);
  r.I32(&c.value_hidden);
  r.U64(&version);
  r.U64(&weights_size);
  if (format != kModelFormatVersion) {
    return error(absl::StrCat("unsupported format version ", format, " (this build reads ",
                              kModelFormatVersion, ")"));
  }
  const uint64_t body = bytes.size() - kHeaderSize - kCrcSize;
  if (weights_size > body) {
    return error(absl::StrCat("truncated: ", bytes.size(), " bytes, header says ",
                              kHeaderSize + weights_size + kCrcSize));
  }
  if (weights_size < body) {
    return error(absl::StrCat("size mismatch: ", bytes.size(), " bytes, header says ",
                              kHeaderSize + weights_size + kCrcSize));
  }
  // 2. Checksum over everything before it.
  if (!VerifyTrailingCrc32(bytes)) return error("checksum mismatch (corrupt file)");
  if (absl::Status s = ValidateNetConfig(c); !s.ok()) {
    return error(absl::StrCat("bad architecture: ", s.message()));
  }
  model.version = static_cast<int64_t>(version);
  // 3. Weights into a fresh net of the stored architecture.
  try {
    model.net = PolicyValueNet(c);
    torch::serialize::InputArchive archive;
    const absl::string_view weights = bytes.substr(kHeaderSize, weights_size);
    archive.load_from(weights.data(), weights.size(), torch::Device(torch::kCPU));
    if (absl::Status s = LoadModule(*model.net, archive, ""); !s.ok()) {
      return error(absl::StrCat("weights do not match the architecture: ", s.message()));
    }
  } catch (const std::exception& e) {
    return error(absl::StrCat("cannot read weights: ", e.what()));
  }
  model.net->eval();
  return model;
}

absl::Status SaveModel(const std::string& path, PolicyValueNet& net, int64_t version) {
  absl::StatusOr<std::string> bytes = SerializeModel(net, version);
  if (!bytes.ok()) return Prefixed(path, bytes.status());
  return WriteFileAtomically(path, *bytes);
}

absl::StatusOr<LoadedModel> LoadModel(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  return DeserializeModel(*bytes, path);
}

std::string Sha256Hex(absl::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

}  // namespace zf
