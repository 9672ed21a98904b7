#include "common/nn/model_file.h"

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/util/bytes.h"
#include "common/util/file_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/nn/test_positions.h"
#include "tests/testing/temp_dir.h"

namespace zf {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A net whose weights and BN running statistics are all away from their initial values, so a
// round trip that dropped buffers or parameters would show.
PolicyValueNet TrainedLookingNet(const std::string& preset, uint64_t seed) {
  torch::manual_seed(seed);
  PolicyValueNet net(NetConfigFromPreset(preset).value());
  net->train();
  {
    torch::NoGradGuard no_grad;
    net->forward(torch::rand({8, kInputPlanes, 7, 7}));  // updates running mean/var
    for (torch::Tensor& p : net->parameters()) p.add_(torch::randn_like(p) * 0.1);
  }
  net->eval();
  return net;
}

class ModelFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(temp_dir_.path().empty());
    dir_ = temp_dir_.path();
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Saves a tiny net, applies `edit` to the bytes, writes them back, returns LoadModel's error.
  absl::Status LoadEdited(const std::string& name, void (*edit)(std::string&)) {
    PolicyValueNet net = TrainedLookingNet("tiny", 1);
    std::string bytes = SerializeModel(net, 3).value();
    edit(bytes);
    EXPECT_TRUE(WriteFileAtomically(Path(name), bytes).ok());
    absl::StatusOr<LoadedModel> loaded = LoadModel(Path(name));
    EXPECT_FALSE(loaded.ok());
    return loaded.status();
  }

  const ::zf::testing::ScopedTempDir temp_dir_{"zf_model_file_"};
  std::string dir_;  // temp_dir_.path()
};

TEST_F(ModelFileTest, RoundTripGivesIdenticalOutputsConfigAndVersion) {
  PolicyValueNet net = TrainedLookingNet("tiny", 7);
  ASSERT_TRUE(SaveModel(Path("m.zfnn"), net, 42).ok());
  absl::StatusOr<LoadedModel> loaded = LoadModel(Path("m.zfnn"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config, net->config());
  EXPECT_EQ(loaded->net->config(), net->config());
  EXPECT_EQ(loaded->version, 42);
  EXPECT_FALSE(loaded->net->is_training());

  torch::NoGradGuard no_grad;
  for (int n : {5, 9}) {
    const torch::Tensor x = EncodeInputs(testing::RandomPositions(n, 6, n));
    auto [p1, v1] = net->forward(x);
    auto [p2, v2] = loaded->net->forward(x);
    EXPECT_TRUE(torch::equal(p1, p2)) << n;
    EXPECT_TRUE(torch::equal(v1, v2)) << n;
  }
  // Every buffer (BN running stats) came back too.
  const auto a = net->named_buffers();
  const auto b = loaded->net->named_buffers();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].key(), b[i].key());
    EXPECT_TRUE(torch::equal(a[i].value(), b[i].value())) << a[i].key();
  }
}

TEST_F(ModelFileTest, ArchitectureComesFromTheFile) {
  PolicyValueNet net = TrainedLookingNet("small", 2);
  ASSERT_TRUE(SaveModel(Path("small.zfnn"), net, 5).ok());
  absl::StatusOr<LoadedModel> loaded = LoadModel(Path("small.zfnn"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config, *NetConfigFromPreset("small"));
  EXPECT_EQ(loaded->net->config(), *NetConfigFromPreset("small"));
}

TEST_F(ModelFileTest, SerializeIsCpuFp32EvenForABf16Net) {
  PolicyValueNet net = TrainedLookingNet("tiny", 3);
  const std::string fp32 = SerializeModel(net, 1).value();
  net->to(torch::kBFloat16);
  absl::StatusOr<LoadedModel> loaded = DeserializeModel(SerializeModel(net, 1).value(), "bf16");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  for (const torch::Tensor& p : loaded->net->parameters()) {
    EXPECT_EQ(p.scalar_type(), torch::kFloat32);
    EXPECT_TRUE(p.device().is_cpu());
  }
  EXPECT_FALSE(fp32.empty());
}

TEST_F(ModelFileTest, CorruptedByteIsAChecksumError) {
  absl::Status s = LoadEdited("corrupt.zfnn", [](std::string& b) { b[b.size() / 2] ^= 0x40; });
  EXPECT_THAT(s.message(), HasSubstr(Path("corrupt.zfnn")));
  EXPECT_THAT(s.message(), HasSubstr("checksum mismatch"));
}

TEST_F(ModelFileTest, TruncatedFileIsAnError) {
  absl::Status s = LoadEdited("short.zfnn", [](std::string& b) { b.resize(b.size() - 100); });
  EXPECT_THAT(s.message(), HasSubstr(Path("short.zfnn")));
  EXPECT_THAT(s.message(), HasSubstr("truncated"));
  s = LoadEdited("header.zfnn", [](std::string& b) { b.resize(20); });
  EXPECT_THAT(s.message(), HasSubstr(Path("header.zfnn")));
  EXPECT_THAT(s.message(), HasSubstr("truncated"));
  s = LoadEdited("empty.zfnn", [](std::string& b) { b.clear(); });
  EXPECT_THAT(s.message(), HasSubstr(Path("empty.zfnn")));
}

TEST_F(ModelFileTest, BadMagicIsAnError) {
  absl::Status s = LoadEdited("magic.zfnn", [](std::string& b) { b[0] = 'X'; });
  EXPECT_THAT(s.message(), HasSubstr(Path("magic.zfnn")));
  EXPECT_THAT(s.message(), HasSubstr("bad magic"));
}

TEST_F(ModelFileTest, UnsupportedFormatVersionIsAnError) {
  absl::Status s = LoadEdited("format.zfnn", [](std::string& b) { b[4] = 9; });
  EXPECT_THAT(s.message(), HasSubstr(Path("format.zfnn")));
  EXPECT_THAT(s.message(), HasSubstr("unsupported format version 9"));
}

// Rewrites one i32 header field and fixes the checksum, so only the architecture is wrong.
void SetHeaderField(std::string& b, int offset, int32_t v) {
  for (int i = 0; i < 4; ++i) b[offset + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  ByteWriter crc;
  crc.U32(Crc32(absl::string_view(b).substr(0, b.size() - 4)));
  b.replace(b.size() - 4, 4, crc.data());
}

TEST_F(ModelFileTest, WeightsThatDoNotMatchTheArchitectureAreAnError) {
  // tiny is 2 blocks x 32 channels.
  absl::Status s = LoadEdited("blocks.zfnn", [](std::string& b) { SetHeaderField(b, 8, 3); });
  EXPECT_THAT(s.message(), HasSubstr(Path("blocks.zfnn")));
  EXPECT_THAT(s.message(), HasSubstr("do not match the architecture"));
  EXPECT_THAT(s.message(), HasSubstr("trunk.5"));  // the third block is missing
  s = LoadEdited("fewer.zfnn", [](std::string& b) { SetHeaderField(b, 8, 1); });
  EXPECT_THAT(s.message(), HasSubstr("trunk.4"));  // the file holds a block the net lacks
  s = LoadEdited("channels.zfnn", [](std::string& b) { SetHeaderField(b, 12, 16); });
  EXPECT_THAT(s.message(), HasSubstr("shape"));
  s = LoadEdited("invalid.zfnn", [](std::string& b) { SetHeaderField(b, 12, -5); });
  EXPECT_THAT(s.message(), HasSubstr("bad architecture"));
}

void FixCrc(std::string& b) {
  ByteWriter crc;
  crc.U32(Crc32(absl::string_view(b).substr(0, b.size() - 4)));
  b.replace(b.size() - 4, 4, crc.data());
}

TEST_F(ModelFileTest, ForgedHugeArchitectureIsRejectedBeforeBuildingTheNet) {
  // A valid checksum over a header claiming 64 blocks x 256 channels (~300 MB of weights)
  // with the tiny net's ~0.2 MB: refused on the sizes, no net of that size is built.
  absl::Status s = LoadEdited("huge.zfnn", [](std::string& b) {
    for (int i = 0; i < 4; ++i) b[8 + i] = static_cast<char>((64 >> (8 * i)) & 0xff);
    for (int i = 0; i < 4; ++i) b[12 + i] = static_cast<char>((256 >> (8 * i)) & 0xff);
    FixCrc(b);
  });
  EXPECT_THAT(s.message(), HasSubstr(Path("huge.zfnn")));
  EXPECT_THAT(s.message(), HasSubstr("64x256 net needs"));
}

TEST_F(ModelFileTest, HugeWeightsLengthIsReportedWithoutOverflow) {
  absl::Status s = LoadEdited("length.zfnn", [](std::string& b) {
    for (int i = 0; i < 8; ++i) b[32 + i] = static_cast<char>(0xff);
  });
  EXPECT_THAT(s.message(), HasSubstr("truncated"));
  EXPECT_THAT(s.message(), HasSubstr("18446744073709551615"));  // the length as stored
  EXPECT_THAT(s.message(), Not(HasSubstr("says 43")));          // 40 + 2^64 - 1 + 4, wrapped
}

TEST_F(ModelFileTest, UnreadableWeightsAreOneLineWithoutAStackTrace) {
  absl::Status s = LoadEdited("weights.zfnn", [](std::string& b) {
    for (size_t i = 40; i < 40 + 64; ++i) b[i] = 0;  // the archive's zip header
    FixCrc(b);
  });
  EXPECT_THAT(s.message(), HasSubstr(Path("weights.zfnn")));
  EXPECT_THAT(s.message(), HasSubstr("cannot read weights"));
  EXPECT_EQ(s.message().find('\n'), absl::string_view::npos) << s.message();
}

TEST_F(ModelFileTest, OnlyRegularFilesAreRead) {
  // /dev/zero never ends and a FIFO without a writer blocks: both must fail at once.
  ASSERT_EQ(mkfifo(Path("fifo").c_str(), 0600), 0);
  for (const std::string& path : {std::string("/dev/zero"), Path("fifo"), dir_}) {
    const absl::Time start = absl::Now();
    absl::StatusOr<LoadedModel> loaded = LoadModel(path);
    ASSERT_FALSE(loaded.ok()) << path;
    EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << path;
    EXPECT_THAT(loaded.status().message(), HasSubstr(path));
    EXPECT_THAT(loaded.status().message(), HasSubstr("not a regular file"));
  }
}

TEST_F(ModelFileTest, MissingFileNamesThePath) {
  absl::StatusOr<LoadedModel> loaded = LoadModel(Path("nope.zfnn"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(), HasSubstr(Path("nope.zfnn")));
}

TEST(Sha256Test, KnownDigests) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace zf
