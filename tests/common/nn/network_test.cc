#include "common/nn/network.h"

#include <set>
#include <vector>

#include "common/game/encoded_position.h"
#include "common/game/game_state.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/nn/test_positions.h"

namespace zf {
namespace {

using ::testing::HasSubstr;

PolicyValueNet TinyNet(uint64_t seed) {
  torch::manual_seed(seed);
  PolicyValueNet net(NetConfigFromPreset("tiny").value());
  net->eval();
  return net;
}

TEST(NetworkTest, ForwardShapesOnAnyBoardSizeWithOneModel) {
  PolicyValueNet net = TinyNet(1);
  torch::NoGradGuard no_grad;
  for (int n : {3, 7, 15}) {
    std::vector<EncodedPosition> batch = testing::RandomPositions(n, 5, n);
    auto [policy, value] = net->forward(EncodeInputs(batch));
    EXPECT_EQ(policy.sizes(), (std::vector<int64_t>{5, n * n})) << n;
    EXPECT_EQ(value.sizes(), (std::vector<int64_t>{5})) << n;
    EXPECT_TRUE(torch::all(value > -1).item<bool>()) << value;
    EXPECT_TRUE(torch::all(value < 1).item<bool>()) << value;
    EXPECT_TRUE(torch::all(torch::isfinite(policy)).item<bool>());
  }
}

TEST(NetworkTest, OutputsDependOnThePosition) {
  PolicyValueNet net = TinyNet(2);
  torch::NoGradGuard no_grad;
  std::vector<EncodedPosition> batch = testing::RandomPositions(7, 8, 3);
  auto [policy, value] = net->forward(EncodeInputs(batch));
  // Rows differ: the net is not ignoring its input.
  EXPECT_FALSE(torch::allclose(policy[0], policy[1]));
  EXPECT_GT(value.max().item<float>() - value.min().item<float>(), 0.0f);
}

TEST(NetworkTest, PresetsAndValidation) {
  for (const char* name : {"tiny", "small", "base"}) {
    absl::StatusOr<NetConfig> config = NetConfigFromPreset(name);
    ASSERT_TRUE(config.ok()) << name;
    EXPECT_TRUE(ValidateNetConfig(*config).ok()) << name;
  }
  EXPECT_EQ(NetConfigFromPreset("small")->blocks, 6);
  EXPECT_EQ(NetConfigFromPreset("small")->channels, 64);
  EXPECT_EQ(NetConfigFromPreset("base")->blocks, 10);
  EXPECT_EQ(NetConfigFromPreset("base")->channels, 128);

  // BLOCKSxCHANNELS: any size in range, the value head scaled like tiny's.
  EXPECT_EQ(*NetConfigFromPreset("4x48"), (NetConfig{4, 48, 12, 48}));
  EXPECT_EQ(*NetConfigFromPreset("2x32"), *NetConfigFromPreset("tiny"));
  EXPECT_THAT(NetConfigFromPreset("0x32").status().message(), HasSubstr("blocks"));
  EXPECT_THAT(NetConfigFromPreset("4x2").status().message(), HasSubstr("channels"));
  EXPECT_FALSE(NetConfigFromPreset("4x").ok());

  absl::StatusOr<NetConfig> bad = NetConfigFromPreset("huge");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("'huge'"));
  EXPECT_THAT(bad.status().message(), HasSubstr("tiny, small, base"));

  NetConfig c = *NetConfigFromPreset("tiny");
  c.blocks = 0;
  EXPECT_THAT(ValidateNetConfig(c).message(), HasSubstr("blocks"));
  c = *NetConfigFromPreset("tiny");
  c.channels = 100000;
  EXPECT_THAT(ValidateNetConfig(c).message(), HasSubstr("channels"));
  c = *NetConfigFromPreset("tiny");
  c.value_hidden = -1;
  EXPECT_THAT(ValidateNetConfig(c).message(), HasSubstr("value_hidden"));
}

TEST(NetworkTest, ForwardFlopsCountsEveryLayer) {
  // 1 block x 8 channels, value head 2 -> 4, on 3x3 (9 points). Multiply-accumulates:
  //   input conv 9*6*8*9 = 3888, block 2*9*8*8*9 = 10368, policy (8*8 + 8)*9 = 648,
  //   value conv 8*2*9 = 144, value FCs 2*2*4 + 4 = 20; total 15068.
  NetConfig c{1, 8, 2, 4};
  EXPECT_DOUBLE_EQ(ForwardFlops(c, 3), 2.0 * 15068);
  // The trunk dominates and scales with the board area.
  const NetConfig small = *NetConfigFromPreset("small");
  EXPECT_NEAR(ForwardFlops(small, 15) / ForwardFlops(small, 5), 9.0, 0.01);
}

TEST(NetworkTest, EncodeInputsPlanes) {
  GameState state(Rules{7, 5, Rule::kStandard});
  ASSERT_TRUE(state.Play(1 * 7 + 1).ok());  // black
  ASSERT_TRUE(state.Play(3 * 7 + 2).ok());  // white
  ASSERT_TRUE(state.Play(4 * 7 + 4).ok());  // black; white to move
  GameState freestyle(Rules{7, 5, Rule::kFreestyle});
  ASSERT_TRUE(freestyle.Play(10).ok());  // black; white to move
  ASSERT_TRUE(freestyle.Play(11).ok());  // white; black to move
  const std::vector<EncodedPosition> batch = {Encode(state), Encode(freestyle)};
  const torch::Tensor x = EncodeInputs(batch);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{2, kInputPlanes, 7, 7}));
  ASSERT_TRUE(x.is_contiguous());

  auto at = [&](int b, int plane, int point) {
    return x[b][plane][point / 7][point % 7].item<float>();
  };
  for (int p = 0; p < 49; ++p) {
    // Position 0: white to move, so "own" is white.
    EXPECT_EQ(at(0, 0, p), p == 23 ? 1.0f : 0.0f) << p;
    EXPECT_EQ(at(0, 1, p), p == 8 || p == 32 ? 1.0f : 0.0f) << p;
    EXPECT_EQ(at(0, 2, p), p == 32 ? 1.0f : 0.0f) << p;
    EXPECT_EQ(at(0, 3, p), 1.0f);
    EXPECT_EQ(at(0, 4, p), 0.0f);  // white to move
    EXPECT_EQ(at(0, 5, p), 1.0f);  // standard rule
    // Position 1: black to move; own = black's stone at 10.
    EXPECT_EQ(at(1, 0, p), p == 10 ? 1.0f : 0.0f) << p;
    EXPECT_EQ(at(1, 1, p), p == 11 ? 1.0f : 0.0f) << p;
    EXPECT_EQ(at(1, 2, p), p == 11 ? 1.0f : 0.0f) << p;
    EXPECT_EQ(at(1, 3, p), 1.0f);
    EXPECT_EQ(at(1, 4, p), 1.0f);  // black to move
    EXPECT_EQ(at(1, 5, p), 0.0f);  // freestyle
  }
}

TEST(NetworkTest, EncodeInputsMatchesBitsOnLargestBoardAndEmptyBoard) {
  // 20x20 uses all seven 64-bit words; compare with the bit accessors.
  std::vector<EncodedPosition> batch = testing::RandomPositions(20, 6, 9);
  batch.push_back(Encode(GameState(Rules{20, 5, Rule::kFreestyle})));  // no stones, no move
  const torch::Tensor x = EncodeInputs(batch);
  const float* data = x.data_ptr<float>();
  for (size_t b = 0; b < batch.size(); ++b) {
    const float* planes = data + b * kInputPlanes * 400;
    for (int p = 0; p < 400; ++p) {
      ASSERT_EQ(planes[p], batch[b].IsOwn(p) ? 1.0f : 0.0f) << b << " " << p;
      ASSERT_EQ(planes[400 + p], batch[b].IsOpp(p) ? 1.0f : 0.0f) << b << " " << p;
      ASSERT_EQ(planes[800 + p], batch[b].last_move == p ? 1.0f : 0.0f) << b << " " << p;
    }
  }
  EXPECT_EQ(EncodeInputs({}).size(0), 0);
}

TEST(NetworkTest, EncodeInputsPadsWithZeroRows) {
  const std::vector<EncodedPosition> batch = testing::RandomPositions(9, 3, 4);
  const torch::Tensor x = EncodeInputs(batch, 8);
  ASSERT_EQ(x.size(0), 8);
  EXPECT_TRUE(torch::equal(x.narrow(0, 0, 3), EncodeInputs(batch)));
  EXPECT_EQ(x.narrow(0, 3, 5).abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(EncodeInputs(batch, 2).size(0), 3);  // never fewer rows than positions
}

TEST(NetworkTest, PaddedBatchSizesAreFewAndWasteLittle) {
  EXPECT_EQ(PaddedBatchSize(1), 8);
  EXPECT_EQ(PaddedBatchSize(8), 8);
  EXPECT_EQ(PaddedBatchSize(9), 16);
  EXPECT_EQ(PaddedBatchSize(17), 24);
  EXPECT_EQ(PaddedBatchSize(33), 40);
  EXPECT_EQ(PaddedBatchSize(65), 80);
  EXPECT_EQ(PaddedBatchSize(1000), 1024);
  EXPECT_EQ(PaddedBatchSize(4096), 4096);
  std::set<int64_t> sizes;
  for (int64_t b = 1; b <= 4096; ++b) {
    const int64_t padded = PaddedBatchSize(b);
    ASSERT_GE(padded, b);
    if (b > 32) {
      ASSERT_LT(padded - b, b / 4) << b;  // under 25% padding above 32
    }
    ASSERT_EQ(PaddedBatchSize(padded), padded) << b;  // a padded size is its own bucket
    sizes.insert(padded);
  }
  EXPECT_LE(sizes.size(), 45u);  // a few dozen shapes for cuDNN to tune, not 4,096
}

TEST(NetworkTest, CloneIsADeepCopy) {
  PolicyValueNet net = TinyNet(4);
  auto copy = std::dynamic_pointer_cast<PolicyValueNetImpl>(net->clone());
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->config(), net->config());
  torch::NoGradGuard no_grad;
  const torch::Tensor x = EncodeInputs(testing::RandomPositions(7, 4, 5));
  EXPECT_TRUE(torch::equal(net->forward(x).first, copy->forward(x).first));
  for (torch::Tensor& p : copy->parameters()) p.add_(0.5);
  EXPECT_FALSE(torch::allclose(net->forward(x).first, copy->forward(x).first));
  // Parameters and buffers are distinct storage.
  const auto a = net->named_parameters();
  const auto b = copy->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NE(a[i].value().data_ptr(), b[i].value().data_ptr());
}

TEST(NetworkTest, FoldedBatchNormGivesTheSameOutputs) {
  PolicyValueNet net = TinyNet(5);
  // Batch norms with statistics and affine weights far from the identity, as after training.
  torch::manual_seed(9);
  {
    torch::NoGradGuard no_grad;
    for (auto& item : net->named_buffers()) {
      if (item.key().find("running_mean") != std::string::npos) item.value().normal_(0, 0.5);
      if (item.key().find("running_var") != std::string::npos) item.value().uniform_(0.3, 3);
    }
    for (auto& item : net->named_parameters()) {
      if (item.value().dim() == 1) item.value().normal_(0, 0.7);
    }
  }
  auto folded = std::dynamic_pointer_cast<PolicyValueNetImpl>(net->clone());
  ASSERT_NE(folded, nullptr);
  folded->eval();
  folded->FoldBatchNorm();
  torch::NoGradGuard no_grad;
  for (int size : {5, 9, 15}) {
    const torch::Tensor x = EncodeInputs(testing::RandomPositions(size, 4, 6));
    const auto [policy, value] = net->forward(x);
    const auto [fpolicy, fvalue] = folded->forward(x);
    EXPECT_TRUE(torch::allclose(policy, fpolicy, 1e-4, 1e-4)) << "board " << size;
    EXPECT_TRUE(torch::allclose(value, fvalue, 1e-4, 1e-4)) << "board " << size;
  }
  // The batch norms are gone from what runs: fewer parameters per layer pair.
  int batch_norms_used = 0;
  for (const auto& m : folded->modules(/*include_self=*/false)) {
    if (dynamic_cast<torch::nn::SequentialImpl*>(m.get()) == nullptr) continue;
    for (const auto& child : m->children()) {
      batch_norms_used += dynamic_cast<torch::nn::BatchNorm2dImpl*>(child.get()) != nullptr;
    }
  }
  EXPECT_EQ(batch_norms_used, 0);
}

}  // namespace
}  // namespace zf
