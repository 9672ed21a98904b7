// Little-endian byte writer/reader for zerofleet's binary formats (records, checkpoints).
// Implemented in bytes.cc. Not thread-safe (each object belongs to one thread).
//
// ByteReader never reads past its end: every Read* returns false once the input is short,
// so a truncated or corrupt file yields an error status, never a crash.
#ifndef ZEROFLEET_COMMON_UTIL_BYTES_H_
#define ZEROFLEET_COMMON_UTIL_BYTES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace zf {

class ByteWriter {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U16(uint16_t v) { Fixed(v, 2); }
  void U32(uint32_t v) { Fixed(v, 4); }
  void U64(uint64_t v) { Fixed(v, 8); }
  void I16(int16_t v) { U16(static_cast<uint16_t>(v)); }
  void I32(int32_t v) { U32(static_cast<uint32_t>(v)); }
  void F32(float v);
  void Bytes(absl::string_view bytes) { out_.append(bytes.data(), bytes.size()); }
  // A u32 length followed by the bytes.
  void String(absl::string_view s);

  const std::string& data() const { return out_; }
  std::string Release() { return std::move(out_); }

 private:
  void Fixed(uint64_t v, int n);
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(absl::string_view in) : in_(in) {}
  bool U8(uint8_t* v);
  bool U16(uint16_t* v);
  bool U32(uint32_t* v);
  bool U64(uint64_t* v);
  bool I16(int16_t* v);
  bool I32(int32_t* v);
  bool F32(float* v);
  bool Bytes(size_t n, absl::string_view* out);
  bool String(std::string* s);

  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }

 private:
  bool Fixed(int n, uint64_t* v);
  absl::string_view in_;
  size_t pos_ = 0;
};

// CRC-32 (zlib's polynomial) of `data`.
uint32_t Crc32(absl::string_view data);

// For blobs laid out as  body | u32 crc32(body):  the body if the checksum matches (and the
// blob holds at least the checksum), nullopt otherwise.
std::optional<absl::string_view> VerifyTrailingCrc32(absl::string_view blob);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_UTIL_BYTES_H_
