#include "learner/trainer.h"

#include <cmath>

#include "common/nn/model_file.h"
#include "gtest/gtest.h"
#include "learner/replay_buffer.h"
#include "tests/learner/test_records.h"
#include "tests/testing/test_device.h"

namespace zf {
namespace {

NetConfig Tiny() { return *NetConfigFromPreset("tiny"); }

// On the CPU unless ZF_TEST_DEVICE says otherwise (the GPU check kit runs these on CUDA), in
// fp32 there too (the bf16 test asks for bf16).
TrainerOptions TestOptions(const std::string& optimizer) {
  TrainerOptions o;
  o.device = testing::TestDevice();
  o.precision = "fp32";
  o.optimizer = optimizer;
  o.lr = optimizer == "adamw" ? 2e-3 : 0.05;
  o.batch_size = 32;
  return o;
}

// A fixed batch from real 7x7 self-play games.
TrainingBatch FixedBatch(int size, uint64_t seed = 1) {
  ReplayBuffer buffer;
  for (const GameRecord& g : testing_records::SmallGames(4, seed)) {
    EXPECT_TRUE(buffer.AddGame(g).ok());
  }
  std::mt19937_64 rng(seed);
  absl::StatusOr<TrainingBatch> batch = buffer.Sample(size, rng);
  EXPECT_TRUE(batch.ok()) << batch.status();
  return *batch;
}

// Equal, or with `rtol` > 0 equal to that relative tolerance.
bool SameTensors(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b,
                 double rtol = 0) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (rtol == 0 ? !torch::equal(a[i], b[i]) : !torch::allclose(a[i], b[i], rtol, rtol / 10)) {
      return false;
    }
  }
  return true;
}

std::vector<torch::Tensor> Weights(Trainer& t) {
  std::vector<torch::Tensor> out;
  for (const torch::Tensor& p : t.net()->parameters()) out.push_back(p.detach().clone());
  for (const torch::Tensor& b : t.net()->buffers()) out.push_back(b.detach().clone());
  return out;
}

TEST(LearningRateTest, WarmupThenSchedules) {
  TrainerOptions o;
  o.lr = 0.1;
  o.warmup_steps = 10;
  EXPECT_DOUBLE_EQ(LearningRateAt(o, 0), 0.01);
  EXPECT_DOUBLE_EQ(LearningRateAt(o, 4), 0.05);
  EXPECT_DOUBLE_EQ(LearningRateAt(o, 9), 0.1);
  EXPECT_DOUBLE_EQ(LearningRateAt(o, 1000), 0.1);  // constant

  o.schedule = "cosine";
  o.total_steps = 110;
  o.min_lr_fraction = 0.1;
  EXPECT_DOUBLE_EQ(LearningRateAt(o, 10), 0.1);
  EXPECT_NEAR(LearningRateAt(o, 60), 0.01 + 0.09 * 0.5, 1e-12);  // halfway
  EXPECT_NEAR(LearningRateAt(o, 110), 0.01, 1e-12);
  EXPECT_NEAR(LearningRateAt(o, 5000), 0.01, 1e-12);  // stays at the floor

  o.schedule = "step";
  o.step_every = 20;
  o.step_gamma = 0.5;
  EXPECT_DOUBLE_EQ(LearningRateAt(o, 29), 0.1);
  EXPECT_DOUBLE_EQ(LearningRateAt(o, 30), 0.05);
  EXPECT_DOUBLE_EQ(LearningRateAt(o, 70), 0.0125);
}

TEST(TrainerOptionsTest, ValidationNamesTheField) {
  TrainerOptions o;
  EXPECT_TRUE(ValidateTrainerOptions(o).ok());
  auto expect_bad = [](TrainerOptions bad, absl::string_view field) {
    absl::Status s = ValidateTrainerOptions(bad);
    EXPECT_FALSE(s.ok()) << field;
    EXPECT_NE(s.message().find(field), absl::string_view::npos) << s;
  };
  o.optimizer = "adam";
  expect_bad(o, "optimizer");
  o = {};
  o.lr = 0;
  expect_bad(o, "lr");
  o = {};
  o.schedule = "cosine";  // needs total_steps
  expect_bad(o, "total_steps");
  o = {};
  o.schedule = "linear";
  expect_bad(o, "schedule");
  o = {};
  o.precision = "fp16";
  expect_bad(o, "precision");
  o = {};
  o.momentum = 1.0;
  expect_bad(o, "momentum");
  o = {};
  o.ema_decay = 1.0;
  expect_bad(o, "ema_decay");
  EXPECT_FALSE(Trainer::Create(Tiny(),
                               [] {
                                 TrainerOptions d;
                                 d.device = "tpu";
                                 return d;
                               }())
                   .ok());
}

TEST(TrainerTest, LossFallsWhenOverfittingATinyBatch) {
  torch::manual_seed(0);
  const TrainingBatch batch = FixedBatch(32);
  for (const std::string optimizer : {"sgd", "adamw"}) {
    auto trainer = Trainer::Create(Tiny(), TestOptions(optimizer));
    ASSERT_TRUE(trainer.ok()) << trainer.status();
    EXPECT_FALSE((*trainer)->bf16());
    absl::StatusOr<StepStats> first = (*trainer)->Step(batch);
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_EQ(first->step, 1);
    EXPECT_GT(first->grad_norm, 0);
    EXPECT_GT(first->policy_entropy, 0);
    EXPECT_LE(first->policy_entropy, std::log(49.0) + 1e-6);
    StepStats last = *first;
    for (int i = 0; i < 80; ++i) {
      absl::StatusOr<StepStats> s = (*trainer)->Step(batch);
      ASSERT_TRUE(s.ok()) << s.status();
      last = *s;
    }
    // The target policy's own entropy bounds the cross-entropy from below; the rest must go.
    const double target_entropy =
        -(batch.policy * torch::log(batch.policy.clamp_min(1e-12))).sum(1).mean().item<double>();
    const double first_excess = first->policy_loss - target_entropy;
    const double last_excess = last.policy_loss - target_entropy;
    std::printf("%s: policy CE %.3f -> %.3f (target entropy %.3f), value MSE %.3f -> %.3f\n",
                optimizer.c_str(), first->policy_loss, last.policy_loss, target_entropy,
                first->value_loss, last.value_loss);
    EXPECT_LT(last_excess, 0.5 * first_excess) << optimizer;
    EXPECT_LT(last.value_loss, 0.5 * first->value_loss) << optimizer;
    EXPECT_EQ((*trainer)->step(), 81);
  }
}

TEST(TrainerTest, BadBatchesAreErrorsAndLeaveWeightsAlone) {
  auto trainer = Trainer::Create(Tiny(), TestOptions("sgd"));
  ASSERT_TRUE(trainer.ok());
  const std::vector<torch::Tensor> before = Weights(**trainer);
  TrainingBatch empty;
  EXPECT_EQ((*trainer)->Step(empty).status().code(), absl::StatusCode::kInvalidArgument);
  TrainingBatch batch = FixedBatch(8);
  TrainingBatch wrong = batch;
  wrong.policy = batch.policy.narrow(1, 0, 10);
  EXPECT_EQ((*trainer)->Step(wrong).status().code(), absl::StatusCode::kInvalidArgument);
  TrainingBatch poisoned = batch;
  poisoned.value = batch.value.clone();
  poisoned.value[0] = std::nan("");
  absl::StatusOr<StepStats> s = (*trainer)->Step(poisoned);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("non-finite"), std::string::npos) << s.status();
  EXPECT_EQ((*trainer)->step(), 0);
  EXPECT_TRUE(SameTensors(before, Weights(**trainer)));
  EXPECT_TRUE((*trainer)->Step(batch).ok());
}

TEST(TrainerTest, GradientClippingBoundsTheUpdate) {
  TrainerOptions o = TestOptions("sgd");
  o.momentum = 0;
  o.weight_decay = 0;
  o.lr = 1.0;
  o.grad_clip_norm = 1e-3;
  auto trainer = Trainer::Create(Tiny(), o);
  ASSERT_TRUE(trainer.ok());
  std::vector<torch::Tensor> before;
  for (const auto& p : (*trainer)->net()->parameters()) before.push_back(p.detach().clone());
  absl::StatusOr<StepStats> s = (*trainer)->Step(FixedBatch(16));
  ASSERT_TRUE(s.ok());
  ASSERT_GT(s->grad_norm, 1e-3);
  // Plain SGD at lr 1: the parameter change is the clipped gradient.
  double moved = 0;
  const auto after = (*trainer)->net()->parameters();
  for (size_t i = 0; i < after.size(); ++i) {
    moved += (after[i].detach() - before[i]).square().sum().item<double>();
  }
  EXPECT_NEAR(std::sqrt(moved), 1e-3, 1e-5);
}

TEST(TrainerTest, SerializeRestoresWeightsOptimizerStateAndStep) {
  // cuDNN's default backward kernels sum in a varying order, and AdamW turns the resulting
  // noise in a bias whose gradient is mathematically zero (a conv before batch norm) into a
  // full-size update: ask for its deterministic kernels (seen on an H200, 2026-11-30).
  struct DeterministicCuDnn {  // process-wide settings, restored for the tests after this one
    const bool deterministic = at::globalContext().deterministicCuDNN();
    const bool benchmark = at::globalContext().benchmarkCuDNN();
    DeterministicCuDnn() {
      at::globalContext().setDeterministicCuDNN(true);
      at::globalContext().setBenchmarkCuDNN(false);
    }
    ~DeterministicCuDnn() {
      at::globalContext().setDeterministicCuDNN(deterministic);
      at::globalContext().setBenchmarkCuDNN(benchmark);
    }
  } deterministic_cudnn;
  const TrainingBatch batch = FixedBatch(16);
  for (const std::string optimizer : {"sgd", "adamw"}) {
    TrainerOptions o = TestOptions(optimizer);
    o.warmup_steps = 3;
    o.schedule = "cosine";
    o.total_steps = 100;
    auto trainer = Trainer::Create(Tiny(), o);
    ASSERT_TRUE(trainer.ok());
    EXPECT_TRUE((*trainer)->OptimizerStateTensors().empty());
    for (int i = 0; i < 4; ++i) ASSERT_TRUE((*trainer)->Step(batch).ok());
    absl::StatusOr<std::string> state = (*trainer)->Serialize();
    ASSERT_TRUE(state.ok()) << state.status();

    auto restored = Trainer::Restore(*state, o);
    ASSERT_TRUE(restored.ok()) << restored.status();
    EXPECT_EQ((*restored)->step(), 4);
    EXPECT_EQ((*restored)->CurrentLr(), (*trainer)->CurrentLr());
    EXPECT_EQ((*restored)->config(), Tiny());
    EXPECT_TRUE(SameTensors(Weights(**trainer), Weights(**restored)));
    const std::vector<torch::Tensor> moments = (*trainer)->OptimizerStateTensors();
    const size_t params = (*trainer)->net()->parameters().size();
    EXPECT_EQ(moments.size(), optimizer == "adamw" ? 2 * params : params);
    EXPECT_TRUE(SameTensors(moments, (*restored)->OptimizerStateTensors())) << optimizer;
    // Same next step from both: bit for bit on the CPU; on CUDA to 1e-5 (other kernels may
    // still sum in a varying order; with SGD that is all they differ by).
    absl::StatusOr<StepStats> a = (*trainer)->Step(batch), b = (*restored)->Step(batch);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->policy_loss, b->policy_loss);
    const double rtol = testing::TestDevice() == "cpu" ? 0 : 1e-5;
    EXPECT_TRUE(SameTensors(Weights(**trainer), Weights(**restored), rtol)) << optimizer;
  }
}

TEST(TrainerTest, DeserializeRejectsMismatchesAndCorruption) {
  auto trainer = Trainer::Create(Tiny(), TestOptions("sgd"));
  ASSERT_TRUE(trainer.ok());
  ASSERT_TRUE((*trainer)->Step(FixedBatch(8)).ok());
  absl::StatusOr<std::string> state = (*trainer)->Serialize();
  ASSERT_TRUE(state.ok());

  auto adamw = Trainer::Create(Tiny(), TestOptions("adamw"));
  ASSERT_TRUE(adamw.ok());
  EXPECT_FALSE((*adamw)->Deserialize(*state).ok());
  NetConfig other = Tiny();
  other.channels = 16;
  auto wider = Trainer::Create(other, TestOptions("sgd"));
  ASSERT_TRUE(wider.ok());
  EXPECT_FALSE((*wider)->Deserialize(*state).ok());

  auto fresh = Trainer::Create(Tiny(), TestOptions("sgd"));
  ASSERT_TRUE(fresh.ok());
  const std::vector<torch::Tensor> before = Weights(**fresh);
  std::string bad = *state;
  bad[bad.size() / 2] ^= 1;
  EXPECT_EQ((*fresh)->Deserialize(bad).code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE((*fresh)->Deserialize(state->substr(0, state->size() - 9)).ok());
  EXPECT_TRUE(SameTensors(before, Weights(**fresh)));
  EXPECT_EQ((*fresh)->step(), 0);
  EXPECT_FALSE(Trainer::Restore("garbage", TestOptions("sgd")).ok());
}

TEST(TrainerTest, ExportModelHoldsTheTrainedWeights) {
  auto trainer = Trainer::Create(Tiny(), TestOptions("sgd"));
  ASSERT_TRUE(trainer.ok());
  const TrainingBatch batch = FixedBatch(8);
  ASSERT_TRUE((*trainer)->Step(batch).ok());
  absl::StatusOr<std::string> bytes = (*trainer)->ExportModel(7);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<LoadedModel> model = DeserializeModel(*bytes, "export");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->version, 7);
  EXPECT_EQ(model->config, Tiny());
  (*trainer)->net()->eval();
  torch::NoGradGuard no_grad;
  const torch::Device device = (*trainer)->net()->parameters()[0].device();
  auto [p1, v1] = (*trainer)->net()->forward(batch.inputs.to(device));
  auto [p2, v2] = model->net->forward(batch.inputs);  // loaded on the CPU
  // cuDNN convolutions may run in TF32 (10-bit mantissa); the CPU's are exact fp32.
  const double rtol = device.is_cuda() ? 1e-2 : 1e-5, atol = device.is_cuda() ? 1e-3 : 1e-8;
  EXPECT_TRUE(torch::allclose(p1.cpu(), p2, rtol, atol));
  EXPECT_TRUE(torch::allclose(v1.cpu(), v2, rtol, atol));
}

TEST(TrainerTest, ExportModelAveragesTheWeightsWhenAsked) {
  TrainerOptions options = TestOptions("sgd");
  options.ema_decay = 0.5;
  auto trainer = Trainer::Create(Tiny(), options);
  ASSERT_TRUE(trainer.ok());
  std::vector<torch::Tensor> before;
  for (const torch::Tensor& p : (*trainer)->net()->parameters())
    before.push_back(p.detach().cpu().clone());
  ASSERT_TRUE((*trainer)->Step(FixedBatch(8)).ok());
  absl::StatusOr<std::string> bytes = (*trainer)->ExportModel(1);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<LoadedModel> model = DeserializeModel(*bytes, "export");
  ASSERT_TRUE(model.ok()) << model.status();
  std::vector<torch::Tensor> after;  // on the CPU, where the exported model loads
  for (const torch::Tensor& p : (*trainer)->net()->parameters()) after.push_back(p.detach().cpu());
  const std::vector<torch::Tensor> exported = model->net->parameters();
  ASSERT_EQ(exported.size(), before.size());
  bool moved = false;
  for (size_t i = 0; i < exported.size(); ++i) {
    // One step at decay 0.5: halfway between the initial and the trained weights.
    EXPECT_TRUE(torch::allclose(exported[i], (before[i] + after[i]) / 2, 1e-5, 1e-6)) << i;
    moved = moved || !torch::equal(before[i], after[i]);
  }
  EXPECT_TRUE(moved);
  // The BN statistics are the trained net's, not averaged.
  const std::vector<torch::Tensor> buffers = (*trainer)->net()->buffers();
  const std::vector<torch::Tensor> exported_buffers = model->net->buffers();
  ASSERT_EQ(buffers.size(), exported_buffers.size());
  for (size_t i = 0; i < buffers.size(); ++i)
    EXPECT_TRUE(torch::equal(buffers[i].cpu(), exported_buffers[i]));
}

TEST(TrainerTest, StartsFromGivenWeights) {
  torch::manual_seed(3);
  PolicyValueNet net(Tiny());
  auto trainer = Trainer::Create(net, TestOptions("sgd"));
  ASSERT_TRUE(trainer.ok());
  const auto a = net->parameters();
  const auto b = (*trainer)->net()->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i].cpu()));
  ASSERT_TRUE((*trainer)->Step(FixedBatch(8)).ok());
  // A deep copy: training does not touch the caller's net.
  EXPECT_FALSE(torch::equal(a[0], (*trainer)->net()->parameters()[0].cpu()));
}

// bf16 autocast (the CUDA default; on the CPU unless ZF_TEST_DEVICE says otherwise): fp32
// master weights, finite losses that still fall.
TEST(TrainerTest, Bf16AutocastKeepsFp32MasterWeights) {
  TrainerOptions o = TestOptions("adamw");
  o.precision = "bf16";
  auto trainer = Trainer::Create(Tiny(), o);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  EXPECT_TRUE((*trainer)->bf16());
  const TrainingBatch batch = FixedBatch(16);
  absl::StatusOr<StepStats> first = (*trainer)->Step(batch);
  ASSERT_TRUE(first.ok()) << first.status();
  // Same seed in fp32: close, but not equal (bf16 really ran).
  auto fp32 = Trainer::Create(Tiny(), TestOptions("adamw"));
  ASSERT_TRUE(fp32.ok());
  absl::StatusOr<StepStats> reference = (*fp32)->Step(batch);
  ASSERT_TRUE(reference.ok());
  EXPECT_NE(first->policy_loss, reference->policy_loss);
  EXPECT_NEAR(first->policy_loss, reference->policy_loss, 0.05);
  StepStats last = *first;
  for (int i = 0; i < 30; ++i) {
    absl::StatusOr<StepStats> s = (*trainer)->Step(batch);
    ASSERT_TRUE(s.ok()) << s.status();
    last = *s;
  }
  EXPECT_LT(last.policy_loss + last.value_loss, first->policy_loss + first->value_loss);
  for (const torch::Tensor& p : (*trainer)->net()->parameters()) {
    EXPECT_EQ(p.scalar_type(), torch::kFloat32);
  }
}

}  // namespace
}  // namespace zf
