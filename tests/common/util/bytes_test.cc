#include "common/util/bytes.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace zf {
namespace {

TEST(ByteWriterTest, WritesLittleEndian) {
  ByteWriter w;
  w.U8(0xab);
  w.U16(0x0102);
  w.U32(0x01020304);
  w.U64(0x0102030405060708ull);
  const std::string expected(
      "\xab"
      "\x02\x01"
      "\x04\x03\x02\x01"
      "\x08\x07\x06\x05\x04\x03\x02\x01",
      15);
  EXPECT_EQ(w.data(), expected);
}

TEST(ByteWriterTest, StringIsLengthPrefixed) {
  ByteWriter w;
  w.String(absl::string_view("a\0b", 3));
  EXPECT_EQ(w.data(), std::string("\x03\x00\x00\x00"
                                  "a\0b",
                                  7));
}

TEST(ByteWriterTest, ReleaseHandsOverTheBytes) {
  ByteWriter w;
  w.U32(7);
  const std::string out = w.Release();
  EXPECT_EQ(out.size(), 4u);
}

TEST(ByteRoundTripTest, EveryTypeRoundTrips) {
  ByteWriter w;
  w.U8(0);
  w.U8(255);
  w.U16(65535);
  w.U32(0xdeadbeef);
  w.U64(std::numeric_limits<uint64_t>::max());
  w.I16(-32768);
  w.I16(-1);
  w.I32(std::numeric_limits<int32_t>::min());
  w.I32(123456789);
  w.F32(-0.0f);
  w.F32(3.25f);
  w.F32(std::numeric_limits<float>::infinity());
  w.F32(std::numeric_limits<float>::denorm_min());
  w.String("");
  w.String(std::string("bin\0ary\xff", 8));
  w.Bytes("raw");

  ByteReader r(w.data());
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  int16_t i16;
  int32_t i32;
  float f;
  std::string s;
  absl::string_view raw;
  ASSERT_TRUE(r.U8(&u8));
  EXPECT_EQ(u8, 0);
  ASSERT_TRUE(r.U8(&u8));
  EXPECT_EQ(u8, 255);
  ASSERT_TRUE(r.U16(&u16));
  EXPECT_EQ(u16, 65535);
  ASSERT_TRUE(r.U32(&u32));
  EXPECT_EQ(u32, 0xdeadbeefu);
  ASSERT_TRUE(r.U64(&u64));
  EXPECT_EQ(u64, std::numeric_limits<uint64_t>::max());
  ASSERT_TRUE(r.I16(&i16));
  EXPECT_EQ(i16, -32768);
  ASSERT_TRUE(r.I16(&i16));
  EXPECT_EQ(i16, -1);
  ASSERT_TRUE(r.I32(&i32));
  EXPECT_EQ(i32, std::numeric_limits<int32_t>::min());
  ASSERT_TRUE(r.I32(&i32));
  EXPECT_EQ(i32, 123456789);
  ASSERT_TRUE(r.F32(&f));
  EXPECT_EQ(f, 0.0f);
  EXPECT_TRUE(std::signbit(f));
  ASSERT_TRUE(r.F32(&f));
  EXPECT_EQ(f, 3.25f);
  ASSERT_TRUE(r.F32(&f));
  EXPECT_EQ(f, std::numeric_limits<float>::infinity());
  ASSERT_TRUE(r.F32(&f));
  EXPECT_EQ(f, std::numeric_limits<float>::denorm_min());
  ASSERT_TRUE(r.String(&s));
  EXPECT_EQ(s, "");
  ASSERT_TRUE(r.String(&s));
  EXPECT_EQ(s, std::string("bin\0ary\xff", 8));
  ASSERT_TRUE(r.Bytes(3, &raw));
  EXPECT_EQ(raw, "raw");
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(r.position(), w.data().size());
  EXPECT_FALSE(r.U8(&u8));
}

TEST(ByteReaderTest, NeverReadsPastTheEnd) {
  // For every prefix of a valid buffer, each read either succeeds within the prefix or fails
  // without moving the position or touching the output.
  ByteWriter w;
  w.U8(1);
  w.U16(2);
  w.U32(3);
  w.U64(4);
  w.F32(5.0f);
  w.String("hello");
  const std::string full = w.data();
  for (size_t len = 0; len <= full.size(); ++len) {
    const std::string prefix = full.substr(0, len);
    ByteReader r(prefix);
    uint8_t u8 = 0;
    uint16_t u16 = 0;
    uint32_t u32 = 0;
    uint64_t u64 = 0;
    float f = 0;
    std::string s = "untouched";
    const bool ok =
        r.U8(&u8) && r.U16(&u16) && r.U32(&u32) && r.U64(&u64) && r.F32(&f) && r.String(&s);
    EXPECT_EQ(ok, len == full.size()) << "prefix " << len;
    EXPECT_LE(r.position(), len);
    EXPECT_EQ(r.position() + r.remaining(), len);
    if (!ok) {
      EXPECT_EQ(s, "untouched") << "prefix " << len;
    }
  }
}

TEST(ByteReaderTest, FailedReadDoesNotAdvance) {
  const std::string three("\x01\x02\x03", 3);
  ByteReader r(three);
  uint32_t u32 = 99;
  EXPECT_FALSE(r.U32(&u32));
  EXPECT_EQ(u32, 99u);
  EXPECT_EQ(r.position(), 0u);
  uint16_t u16;
  ASSERT_TRUE(r.U16(&u16));
  EXPECT_EQ(u16, 0x0201);
  uint64_t u64;
  EXPECT_FALSE(r.U64(&u64));
  absl::string_view bytes;
  EXPECT_FALSE(r.Bytes(2, &bytes));
  EXPECT_EQ(r.remaining(), 1u);
}

TEST(ByteReaderTest, HugeStringLengthFailsCleanly) {
  // A corrupt length prefix (4 GiB) must fail, not allocate or read out of bounds.
  ByteWriter w;
  w.U32(0xffffffffu);
  w.Bytes("abc");
  ByteReader r(w.data());
  std::string s;
  EXPECT_FALSE(r.String(&s));
  EXPECT_TRUE(s.empty());
}

TEST(ByteReaderTest, BytesHugeCountFailsCleanly) {
  ByteReader r("abc");
  absl::string_view out;
  EXPECT_FALSE(r.Bytes(std::numeric_limits<size_t>::max(), &out));
  EXPECT_EQ(r.remaining(), 3u);
}

TEST(Crc32Test, KnownValues) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
}

TEST(Crc32Test, DetectsSingleBitFlip) {
  std::string data(1000, 'x');
  const uint32_t base = Crc32(data);
  for (size_t i = 0; i < data.size(); i += 37) {
    std::string copy = data;
    copy[i] ^= 1;
    EXPECT_NE(Crc32(copy), base) << "byte " << i;
  }
}

}  // namespace
}  // namespace zf
