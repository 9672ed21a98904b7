#include "common/nn/torch_evaluator.h"

#include <atomic>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/nn/blas_info.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/nn/test_positions.h"
#include "tests/testing/test_device.h"

namespace zf {
namespace {

using ::testing::FloatNear;
using ::testing::HasSubstr;
using ::testing::Pointwise;

PolicyValueNet TinyNet(uint64_t seed) {
  torch::manual_seed(seed);
  return PolicyValueNet(NetConfigFromPreset("tiny").value());
}

std::unique_ptr<TorchEvaluator> CpuEvaluator(PolicyValueNet net, int64_t version) {
  TorchEvaluatorOptions options;
  options.device = "cpu";
  absl::StatusOr<std::unique_ptr<TorchEvaluator>> e =
      TorchEvaluator::Create(std::move(net), version, options);
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? std::move(*e) : nullptr;
}

struct Output {
  std::vector<float> policy;
  std::vector<float> value;
};

Output EvaluateAll(TorchEvaluator& e, const std::vector<EncodedPosition>& batch) {
  const int points = batch[0].size * batch[0].size;
  Output out{std::vector<float>(batch.size() * points), std::vector<float>(batch.size())};
  absl::Status s = e.Evaluate(batch, absl::MakeSpan(out.policy), absl::MakeSpan(out.value));
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

TEST(TorchEvaluatorTest, PolicyIsADistributionOverEmptyPoints) {
  std::unique_ptr<TorchEvaluator> e = CpuEvaluator(TinyNet(1), 1);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->device().is_cpu());
  EXPECT_FALSE(e->bf16());  // CPU is always fp32
  for (int n : {3, 7, 15}) {
    const std::vector<EncodedPosition> batch = testing::RandomPositions(n, 9, 10 + n);
    const Output out = EvaluateAll(*e, batch);
    for (size_t b = 0; b < batch.size(); ++b) {
      double sum = 0;
      for (int p = 0; p < n * n; ++p) {
        const float prob = out.policy[b * n * n + p];
        if (batch[b].IsEmpty(p)) {
          EXPECT_GT(prob, 0.0f);
        } else {
          EXPECT_EQ(prob, 0.0f) << "occupied point " << p;
        }
        sum += prob;
      }
      EXPECT_NEAR(sum, 1.0, 1e-5);
      EXPECT_GE(out.value[b], -1.0f);
      EXPECT_LE(out.value[b], 1.0f);
    }
  }
}

TEST(TorchEvaluatorTest, PaddedBatchesGiveTheSameOutputs) {
  PolicyValueNet net = TinyNet(5);
  std::unique_ptr<TorchEvaluator> plain = CpuEvaluator(net, 1);
  TorchEvaluatorOptions options;
  options.device = "cpu";
  options.pad_batches = TorchEvaluatorOptions::Padding::kOn;
  absl::StatusOr<std::unique_ptr<TorchEvaluator>> padded = TorchEvaluator::Create(net, 1, options);
  ASSERT_TRUE(padded.ok()) << padded.status();
  EXPECT_TRUE((*padded)->pads_batches());
  EXPECT_FALSE(plain->pads_batches());  // kAuto pads on CUDA only
  for (int count : {1, 9, 33}) {
    const std::vector<EncodedPosition> batch = testing::RandomPositions(9, count, 20 + count);
    const Output a = EvaluateAll(*plain, batch);
    const Output b = EvaluateAll(**padded, batch);
    EXPECT_THAT(b.policy, Pointwise(FloatNear(1e-5), a.policy)) << count;
    EXPECT_THAT(b.value, Pointwise(FloatNear(1e-5), a.value)) << count;
  }
}

TEST(TorchEvaluatorTest, MatchesTheNetworkFollowedByMaskedSoftmax) {
  PolicyValueNet net = TinyNet(2);
  std::unique_ptr<TorchEvaluator> e = CpuEvaluator(net, 1);
  const std::vector<EncodedPosition> batch = testing::RandomPositions(9, 6, 3);
  const Output out = EvaluateAll(*e, batch);
  net->eval();
  torch::NoGradGuard no_grad;
  auto [logits, value] = net->forward(EncodeInputs(batch));
  logits = logits.contiguous();
  for (size_t b = 0; b < batch.size(); ++b) {
    std::vector<float> expected(81);
    MaskedSoftmax(batch[b], absl::MakeConstSpan(logits[b].data_ptr<float>(), 81),
                  absl::MakeSpan(expected));
    EXPECT_THAT(absl::MakeConstSpan(out.policy).subspan(b * 81, 81),
                Pointwise(FloatNear(1e-6), expected));
    EXPECT_NEAR(out.value[b], value[b].item<float>(), 1e-6);
  }
}

TEST(TorchEvaluatorTest, FullBoardGivesZerosNotNan) {
  EncodedPosition full;
  full.size = 3;
  full.win_length = 3;
  full.own[0] = 0b101010101;
  full.opp[0] = 0b010101010;
  full.last_move = 4;
  std::unique_ptr<TorchEvaluator> e = CpuEvaluator(TinyNet(3), 1);
  const Output out = EvaluateAll(*e, {full});
  for (float p : out.policy) EXPECT_EQ(p, 0.0f);
  EXPECT_FALSE(std::isnan(out.value[0]));
}

TEST(TorchEvaluatorTest, BadArgumentsAreErrors) {
  std::unique_ptr<TorchEvaluator> e = CpuEvaluator(TinyNet(4), 1);
  std::vector<float> policy(1000), value(10);
  EXPECT_TRUE(e->Evaluate({}, absl::MakeSpan(policy), absl::MakeSpan(value)).ok());
  std::vector<EncodedPosition> mixed = testing::RandomPositions(5, 2, 1);
  mixed.push_back(testing::RandomPositions(7, 1, 1)[0]);
  EXPECT_FALSE(e->Evaluate(mixed, absl::MakeSpan(policy), absl::MakeSpan(value)).ok());
  const std::vector<EncodedPosition> batch = testing::RandomPositions(7, 4, 1);
  EXPECT_FALSE(
      e->Evaluate(batch, absl::MakeSpan(policy).subspan(0, 100), absl::MakeSpan(value)).ok());
  TorchEvaluatorOptions options;
  options.device = "cpu";
  EXPECT_FALSE(TorchEvaluator::Create(PolicyValueNet(nullptr), 1, options).ok());
}

TEST(TorchEvaluatorTest, OwnsADeepCopyAndSetModelSwapsIt) {
  PolicyValueNet net = TinyNet(5);
  std::unique_ptr<TorchEvaluator> e = CpuEvaluator(net, 7);
  EXPECT_EQ(e->version(), 7);
  const std::vector<EncodedPosition> batch = testing::RandomPositions(7, 5, 2);
  const Output before = EvaluateAll(*e, batch);

  // Training the caller's net does not reach the evaluator...
  {
    torch::NoGradGuard no_grad;
    for (torch::Tensor& p : net->parameters()) p.add_(torch::randn_like(p) * 0.5);
  }
  const Output unchanged = EvaluateAll(*e, batch);
  EXPECT_EQ(unchanged.policy, before.policy);
  EXPECT_EQ(unchanged.value, before.value);

  // ...until SetModel publishes it.
  e->SetModel(net, 8);
  EXPECT_TRUE(e->set_model_status().ok());
  EXPECT_EQ(e->version(), 8);
  const Output after = EvaluateAll(*e, batch);
  EXPECT_NE(after.policy, before.policy);
  EXPECT_NE(after.value, before.value);

  e->SetModel(PolicyValueNet(nullptr), 9);
  EXPECT_FALSE(e->set_model_status().ok());
  EXPECT_EQ(e->version(), 8);  // the old model keeps serving
}

TEST(TorchEvaluatorTest, ConcurrentEvaluateMatchesSerial) {
  std::unique_ptr<TorchEvaluator> e = CpuEvaluator(TinyNet(6), 1);
  constexpr int kThreads = 4;
  std::vector<std::vector<EncodedPosition>> batches;
  std::vector<Output> serial;
  for (int t = 0; t < kThreads; ++t) {
    batches.push_back(testing::RandomPositions(9, 16, 100 + t));
    serial.push_back(EvaluateAll(*e, batches[t]));
  }
  std::vector<Output> concurrent(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 5; ++rep) concurrent[t] = EvaluateAll(*e, batches[t]);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_THAT(concurrent[t].policy, Pointwise(FloatNear(1e-6), serial[t].policy)) << t;
    EXPECT_THAT(concurrent[t].value, Pointwise(FloatNear(1e-6), serial[t].value)) << t;
  }
}

TEST(TorchEvaluatorTest, SetModelDuringEvaluationIsSafe) {
  std::unique_ptr<TorchEvaluator> e = CpuEvaluator(TinyNet(7), 0);
  const std::vector<EncodedPosition> batch = testing::RandomPositions(7, 8, 4);
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      std::vector<float> policy(batch.size() * 49), value(batch.size());
      while (!done) {
        if (!e->Evaluate(batch, absl::MakeSpan(policy), absl::MakeSpan(value)).ok()) ++failures;
      }
    });
  }
  for (int v = 1; v <= 10; ++v) e->SetModel(TinyNet(100 + v), v);
  done = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(e->version(), 10);
}

// On the test device (CUDA in the GPU check kit: transfers, channels_last, TF32 and bf16), the
// evaluator agrees with the CPU's fp32 to within the precision it runs at.
TEST(TorchEvaluatorTest, TestDeviceAgreesWithTheCpu) {
  const std::string device = testing::TestDevice();
  std::unique_ptr<TorchEvaluator> cpu = CpuEvaluator(TinyNet(8), 1);
  ASSERT_NE(cpu, nullptr);
  const std::vector<EncodedPosition> batch = testing::RandomPositions(15, 33, 4);
  const Output expected = EvaluateAll(*cpu, batch);
  for (bool bf16 : {false, true}) {
    TorchEvaluatorOptions options;
    options.device = device;
    options.bf16 = bf16;
    absl::StatusOr<std::unique_ptr<TorchEvaluator>> e =
        TorchEvaluator::Create(TinyNet(8), 1, options);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ((*e)->device().is_cuda(), device.rfind("cuda", 0) == 0);
    EXPECT_EQ((*e)->bf16(), bf16 && (*e)->device().is_cuda());
    const Output out = EvaluateAll(**e, batch);
    // bf16 keeps 8 bits of mantissa; TF32 10: probabilities and values stay within these.
    const float tolerance = (*e)->bf16() ? 0.03f : 0.005f;
    EXPECT_THAT(out.policy, Pointwise(FloatNear(tolerance), expected.policy)) << device;
    EXPECT_THAT(out.value, Pointwise(FloatNear(2 * tolerance), expected.value)) << device;
  }
}

TEST(ParseDeviceTest, Specs) {
  ASSERT_TRUE(ParseDevice("cpu").ok());
  EXPECT_TRUE(ParseDevice("cpu")->is_cpu());
  ASSERT_TRUE(ParseDevice("auto").ok());
  EXPECT_EQ(ParseDevice("auto")->is_cuda(), torch::cuda::is_available());
  for (const char* bad : {"gpu", "", "cuda:", "cuda:x", "cuda:-1", "CPU", "cuda:0:1"}) {
    absl::StatusOr<torch::Device> d = ParseDevice(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(d.status().message(), HasSubstr(absl::StrCat("'", bad, "'")));
  }
  if (!torch::cuda::is_available()) {
    for (const char* cuda : {"cuda", "cuda:0", "cuda:3"}) {
      absl::StatusOr<torch::Device> d = ParseDevice(cuda);
      ASSERT_FALSE(d.ok()) << cuda;
      EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition) << cuda;
      EXPECT_THAT(d.status().message(), HasSubstr("CUDA is not available"));
    }
    TorchEvaluatorOptions options;
    options.device = "cuda";
    EXPECT_FALSE(TorchEvaluator::Create(TinyNet(1), 1, options).ok());
  } else {
    EXPECT_TRUE(ParseDevice("cuda")->is_cuda());
    EXPECT_FALSE(ParseDevice("cuda:255").ok());
  }
}

TEST(BlasInfoTest, NamesTheBlas) {
  const std::string info = BlasInfo();
  std::cout << info << "\n";
  EXPECT_THAT(info, HasSubstr("BLAS: "));
  EXPECT_THAT(info, HasSubstr("intra-op threads: "));
}

}  // namespace
}  // namespace zf
