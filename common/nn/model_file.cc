#include "common/nn/model_file.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
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

// The first line of a LibTorch error: c10::Error's what() appends a stack trace.
std::string FirstLine(const char* what) {
  const absl::string_view text(what);
  return std::string(text.substr(0, text.find('\n')));
}

// Stored floats of a net of `c`: parameters and BatchNorm statistics (see network.cc).
uint64_t StoredFloats(const NetConfig& c) {
  const uint64_t ch = c.channels, vc = c.value_channels, vh = c.value_hidden;
  const uint64_t bn = 4 * ch;  // weight, bias, running mean and variance
  uint64_t n = 9 * kInputPlanes * ch + bn;
  n += static_cast<uint64_t>(c.blocks) * 2 * (9 * ch * ch + bn);
  n += ch * ch + bn + ch + 1;      // policy head
  n += ch * vc + 4 * vc;           // value conv
  n += 2 * vc * vh + vh + vh + 1;  // value FCs
  return n;
}

// The header's sizes against the bytes there are, before anything is allocated for them:
// the file must be exactly header + weights + CRC long, and the architecture may need at most
// twice the stored weights (a net of it is built before each tensor is checked, so a forged
// header cannot make that cost more than the file itself; closer mismatches are named tensor
// by tensor later). Checked without overflow.
absl::Status CheckSizes(uint64_t file_bytes, uint64_t weights_size, const NetConfig& c) {
  const uint64_t body = file_bytes - kHeaderSize - kCrcSize;  // file_bytes >= both
  if (weights_size != body) {
    return absl::DataLossError(absl::StrCat(weights_size > body ? "truncated" : "size mismatch",
                                            ": ", file_bytes, " bytes, the header says ",
                                            kHeaderSize, " + ", weights_size, " + ", kCrcSize));
  }
  if (ValidateNetConfig(c).ok() && StoredFloats(c) * 4 > 2 * weights_size) {
    return absl::DataLossError(absl::StrCat("the header's ", c.blocks, "x", c.channels,
                                            " net needs ", StoredFloats(c) * 4,
                                            " bytes of weights, the file holds ", weights_size));
  }
  return absl::OkStatus();
}

struct Header {
  uint32_t format = 0;
  NetConfig config;
  uint64_t version = 0;
  uint64_t weights_size = 0;
};

// Magic, format and sizes of a model of `file_bytes` bytes whose first bytes are `head`.
absl::StatusOr<Header> ReadHeader(absl::string_view head, uint64_t file_bytes) {
  if (file_bytes == 0) return absl::DataLossError("empty file");
  if (head.size() < kMagic.size() || head.substr(0, kMagic.size()) != kMagic) {
    return absl::DataLossError("bad magic (not a zerofleet model file)");
  }
  if (file_bytes < kHeaderSize + kCrcSize || head.size() < kHeaderSize) {
    return absl::DataLossError(
        absl::StrCat("truncated: ", file_bytes, " bytes, shorter than the header"));
  }
  Header h;
  ByteReader r(head.substr(kMagic.size(), kHeaderSize - kMagic.size()));
  r.U32(&h.format);
  r.I32(&h.config.blocks);
  r.I32(&h.config.channels);
  r.I32(&h.config.value_channels);
  r.I32(&h.config.value_hidden);
  r.U64(&h.version);
  r.U64(&h.weights_size);
  if (h.format != kModelFormatVersion) {
    return absl::DataLossError(absl::StrCat("unsupported format version ", h.format,
                                            " (this build reads ", kModelFormatVersion, ")"));
  }
  if (absl::Status s = CheckSizes(file_bytes, h.weights_size, h.config); !s.ok()) return s;
  return h;
}

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::Status(errno == ENOENT ? absl::StatusCode::kNotFound : absl::StatusCode::kInternal,
                      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(errno)));
}

// Reads a model file: a regular file only (a FIFO would block, /dev/zero never ends) and only
// after its header agrees with its size.
absl::StatusOr<std::string> ReadModelFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path);
  std::string bytes;
  absl::Status status;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    status = ErrnoError("stat", path);
  } else if (!S_ISREG(st.st_mode)) {
    status = absl::InvalidArgumentError(
        absl::StrCat("model '", path, "': not a regular file (a directory, FIFO or device)"));
  } else {
    bytes.resize(std::min<size_t>(kHeaderSize, static_cast<size_t>(st.st_size)));
    ssize_t n = pread(fd, bytes.data(), bytes.size(), 0);
    absl::StatusOr<Header> header = n == static_cast<ssize_t>(bytes.size())
                                        ? ReadHeader(bytes, static_cast<uint64_t>(st.st_size))
                                        : absl::StatusOr<Header>(ErrnoError("read", path));
    if (!header.ok()) {
      status = header.status().code() == absl::StatusCode::kDataLoss
                   ? Prefixed(path, header.status())
                   : header.status();
    } else {
      bytes.resize(static_cast<size_t>(st.st_size));
      size_t done = 0;
      while (status.ok() && done < bytes.size()) {
        n = pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) status = ErrnoError("read", path);
        if (n == 0) {
          status = absl::DataLossError(absl::StrCat("model '", path, "': shrank while read"));
        }
        if (n > 0) done += static_cast<size_t>(n);
      }
    }
  }
  close(fd);
  if (!status.ok()) return status;
  return bytes;
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
  absl::StatusOr<Header> header = ReadHeader(bytes, bytes.size());
  if (!header.ok()) return error(header.status().message());
  LoadedModel model;
  NetConfig& c = model.config;
  c = header->config;
  const uint64_t version = header->version;
  const uint64_t weights_size = header->weights_size;
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
    return error(absl::StrCat("cannot read weights: ", FirstLine(e.what())));
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
  absl::StatusOr<std::string> bytes = ReadModelFile(path);
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
