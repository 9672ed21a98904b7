// The hand-encoded grpc.health.v1 messages of tools/health_probe: request bytes match what
// protoc-generated code writes, responses decode with unknown fields skipped and bad bytes
// rejected.
#include <string>

#include "common/rpc/health_check.h"
#include "gtest/gtest.h"

namespace zf {
namespace {

TEST(HealthCheckCodecTest, RequestIsFieldOneString) {
  EXPECT_EQ(EncodeHealthCheckRequest(""), "");              // proto3 omits the default
  const std::string expected = {'\x0a', '\x02', 'a', 'b'};  // tag 1/length-delimited, 2 bytes
  EXPECT_EQ(EncodeHealthCheckRequest("ab"), expected);
  // A 200-byte name needs a two-byte length varint: 200 = 0xc8 -> c8 01.
  const std::string long_name(200, 'x');
  const std::string bytes = EncodeHealthCheckRequest(long_name);
  ASSERT_EQ(bytes.size(), 203u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x0au);
  EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0xc8u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[2]), 0x01u);
  EXPECT_EQ(bytes.substr(3), long_name);
}

TEST(HealthCheckCodecTest, ResponseStatus) {
  EXPECT_EQ(*DecodeHealthCheckResponse(std::string("\x08\x01", 2)), ServingStatus::kServing);
  EXPECT_EQ(*DecodeHealthCheckResponse(std::string("\x08\x02", 2)), ServingStatus::kNotServing);
  EXPECT_EQ(*DecodeHealthCheckResponse(""), ServingStatus::kUnknown);
  EXPECT_STREQ(ServingStatusName(ServingStatus::kNotServing), "NOT_SERVING");
}

TEST(HealthCheckCodecTest, UnknownFieldsAreSkipped) {
  // field 2 string "hi", field 3 fixed32, field 4 fixed64, field 5 varint 300, then status 1.
  const std::string bytes(
      "\x12\x02hi"
      "\x1d\x01\x02\x03\x04"
      "\x21\x01\x02\x03\x04\x05\x06\x07\x08"
      "\x28\xac\x02"
      "\x08\x01",
      23);
  absl::StatusOr<ServingStatus> s = DecodeHealthCheckResponse(bytes);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, ServingStatus::kServing);
}

TEST(HealthCheckCodecTest, MalformedBytesAreRejected) {
  EXPECT_FALSE(DecodeHealthCheckResponse(std::string("\x08", 1)).ok());        // no value
  EXPECT_FALSE(DecodeHealthCheckResponse(std::string("\x12\x05hi", 4)).ok());  // short string
  EXPECT_FALSE(DecodeHealthCheckResponse(std::string("\x0b", 1)).ok());        // group start
  EXPECT_FALSE(DecodeHealthCheckResponse(std::string("\x00\x01", 2)).ok());    // tag 0
  EXPECT_FALSE(DecodeHealthCheckResponse(std::string("\x08\x07", 2)).ok());    // no such status
}

}  // namespace
}  // namespace zf
