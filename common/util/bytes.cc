#include "common/util/bytes.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace zf {

void ByteWriter::Fixed(uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void ByteWriter::F32(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  U32(bits);
}

void ByteWriter::String(absl::string_view s) {
  U32(static_cast<uint32_t>(s.size()));
  Bytes(s);
}

bool ByteReader::Fixed(int n, uint64_t* v) {
  if (remaining() < static_cast<size_t>(n)) return false;
  uint64_t r = 0;
  for (int i = 0; i < n; ++i) r |= uint64_t{static_cast<uint8_t>(in_[pos_ + i])} << (8 * i);
  pos_ += n;
  *v = r;
  return true;
}

bool ByteReader::U8(uint8_t* v) {
  uint64_t r;
  if (!Fixed(1, &r)) return false;
  *v = static_cast<uint8_t>(r);
  return true;
}
bool ByteReader::U16(uint16_t* v) {
  uint64_t r;
  if (!Fixed(2, &r)) return false;
  *v = static_cast<uint16_t>(r);
  return true;
}
bool ByteReader::U32(uint32_t* v) {
  uint64_t r;
  if (!Fixed(4, &r)) return false;
  *v = static_cast<uint32_t>(r);
  return true;
}
bool ByteReader::U64(uint64_t* v) { return Fixed(8, v); }
bool ByteReader::I16(int16_t* v) {
  uint16_t u;
  if (!U16(&u)) return false;
  *v = static_cast<int16_t>(u);
  return true;
}
bool ByteReader::I32(int32_t* v) {
  uint32_t u;
  if (!U32(&u)) return false;
  *v = static_cast<int32_t>(u);
  return true;
}
bool ByteReader::F32(float* v) {
  uint32_t u;
  if (!U32(&u)) return false;
  std::memcpy(v, &u, sizeof(u));
  return true;
}
bool ByteReader::Bytes(size_t n, absl::string_view* out) {
  if (remaining() < n) return false;
  *out = in_.substr(pos_, n);
  pos_ += n;
  return true;
}
bool ByteReader::String(std::string* s) {
  uint32_t n;
  absl::string_view bytes;
  if (!U32(&n) || !Bytes(n, &bytes)) return false;
  s->assign(bytes.data(), bytes.size());
  return true;
}

uint32_t Crc32(absl::string_view data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths; feed large inputs in pieces.
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t n = std::min<size_t>(data.size() - pos, 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + pos), static_cast<uInt>(n));
    pos += n;
  }
  return static_cast<uint32_t>(crc);
}

std::optional<absl::string_view> VerifyTrailingCrc32(absl::string_view blob) {
  if (blob.size() < 4) return std::nullopt;
  const absl::string_view body = blob.substr(0, blob.size() - 4);
  uint32_t stored = 0;
  ByteReader(blob.substr(blob.size() - 4)).U32(&stored);
  if (Crc32(body) != stored) return std::nullopt;
  return body;
}

}  // namespace zf
