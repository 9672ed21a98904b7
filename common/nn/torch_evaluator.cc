#include "common/nn/torch_evaluator.h"

#include <cstring>
#include <exception>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace zf {

absl::StatusOr<torch::Device> ParseDevice(absl::string_view spec) {
  if (spec == "cpu") return torch::Device(torch::kCPU);
  if (spec == "auto") {
    return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0)
                                       : torch::Device(torch::kCPU);
  }
  int index = 0;
  if (spec != "cuda") {
    if (!absl::StartsWith(spec, "cuda:") || !absl::SimpleAtoi(spec.substr(5), &index) ||
        index < 0 || index > 255) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown device '", spec, "'; use auto, cpu, cuda or cuda:N"));
    }
  }
  if (!torch::cuda::is_available()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "device '", spec, "' asked for, but CUDA is not available to this LibTorch build"));
  }
  const int count = static_cast<int>(torch::cuda::device_count());
  if (index >= count) {
    return absl::InvalidArgumentError(
        absl::StrCat("device '", spec, "': only ", count, " CUDA device(s) present"));
  }
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

absl::StatusOr<std::unique_ptr<TorchEvaluator>> TorchEvaluator::Create(
    PolicyValueNet net, int64_t version, const TorchEvaluatorOptions& options) {
  if (net.is_empty()) return absl::InvalidArgumentError("TorchEvaluator: no network given");
  if (options.intra_op_threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("intra_op_threads = ", options.intra_op_threads, " must be >= 0"));
  }
  absl::StatusOr<torch::Device> device = ParseDevice(options.device);
  if (!device.ok()) return device.status();
  const bool cuda = device->is_cuda();
  const torch::ScalarType dtype = cuda && options.bf16 ? torch::kBFloat16 : torch::kFloat32;
  using Padding = TorchEvaluatorOptions::Padding;
  const bool pad =
      options.pad_batches == Padding::kOn || (options.pad_batches == Padding::kAuto && cuda);
  std::unique_ptr<TorchEvaluator> evaluator(new TorchEvaluator(*device, dtype, pad));
  try {
    if (options.intra_op_threads > 0) torch::set_num_threads(options.intra_op_threads);
    if (cuda) {
      // fp32 matmuls/convs (bf16 off) may use TF32 tensor cores: plenty for self-play priors.
      at::globalContext().setFloat32MatmulPrecision("high");  // string form: 1.13 and 2.x
      at::globalContext().setAllowTF32CuDNN(true);
      at::globalContext().setBenchmarkCuDNN(true);
    }
    std::shared_ptr<Model> model = evaluator->Prepare(net, version);
    absl::MutexLock lock(&evaluator->mu_);
    evaluator->model_ = std::move(model);
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("TorchEvaluator: cannot place the model on ", device->str(), ": ", e.what()));
  }
  return evaluator;
}

std::shared_ptr<TorchEvaluator::Model> TorchEvaluator::Prepare(PolicyValueNet& net,
                                                               int64_t version) const {
  auto copy = std::dynamic_pointer_cast<PolicyValueNetImpl>(net->clone());
  TORCH_CHECK(copy != nullptr, "PolicyValueNetImpl::clone returned another type");
  PolicyValueNet prepared(std::move(copy));
  torch::NoGradGuard no_grad;
  prepared->eval();
  prepared->FoldBatchNorm();  // in fp32, before any cast to bf16
  prepared->to(device_, dtype_);
  for (torch::Tensor& p : prepared->parameters()) {
    p.set_requires_grad(false);
    // NHWC kernels (cuDNN; oneDNN on CPU, ~1.6x for the tiny net) want channels_last weights
    // as well as inputs.
    if (p.dim() == 4) {
      p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
    }
  }
  auto model = std::make_shared<Model>();
  model->net = std::move(prepared);
  model->version = version;
  return model;
}

std::shared_ptr<TorchEvaluator::Model> TorchEvaluator::Current() const {
  absl::MutexLock lock(&mu_);
  return model_;
}

void TorchEvaluator::SetModel(PolicyValueNet net, int64_t version) {
  std::shared_ptr<Model> model;
  absl::Status status;
  try {
    if (net.is_empty()) {
      status = absl::InvalidArgumentError("SetModel: no network given");
    } else {
      model = Prepare(net, version);
    }
  } catch (const std::exception& e) {
    status = absl::InternalError(
        absl::StrCat("SetModel(version ", version, ") failed on ", device_.str(), ": ", e.what()));
  }
  absl::MutexLock lock(&mu_);
  set_model_status_ = status;
  if (model != nullptr) model_ = std::move(model);
}

absl::Status TorchEvaluator::set_model_status() const {
  absl::MutexLock lock(&mu_);
  return set_model_status_;
}

int64_t TorchEvaluator::version() const {
  absl::MutexLock lock(&mu_);
  return model_->version;
}

absl::Status TorchEvaluator::Evaluate(absl::Span<const EncodedPosition> batch,
                                      absl::Span<float> policy, absl::Span<float> value) {
  int64_t version = 0;
  return EvaluateVersioned(batch, policy, value, &version);
}

absl::Status TorchEvaluator::EvaluateVersioned(absl::Span<const EncodedPosition> batch,
                                               absl::Span<float> policy, absl::Span<float> value,
                                               int64_t* version) {
  const std::shared_ptr<Model> model = Current();  // kept alive through a concurrent SetModel
  *version = model->version;
  if (absl::Status s = CheckEvaluateArgs(batch, policy, value); !s.ok()) return s;
  if (batch.empty()) return absl::OkStatus();
  const int64_t b = static_cast<int64_t>(batch.size());
  const int64_t points = int64_t{batch[0].size} * batch[0].size;
  const int64_t rows = pad_ ? PaddedBatchSize(b) : b;  // padding rows: empty boards, dropped
  try {
    c10::InferenceMode inference_mode;
    // 1. Encode on the host; one copy to the device.
    torch::Tensor x = EncodeInputs(batch, rows).to(device_);
    // 2. Occupied points come from the own/opponent planes, already on the device.
    const torch::Tensor occupied = (x.select(1, 0) + x.select(1, 1)).reshape({rows, points}) > 0.5f;
    x = x.to(dtype_).contiguous(at::MemoryFormat::ChannelsLast);
    // 3. Forward.
    auto [logits, v] = model->net->forward(x);
    // 4. Softmax over empty points in fp32. The lowest finite float (not -inf) keeps a full
    //    board from producing NaN; its row is then zeroed by the mask.
    logits = logits.to(torch::kFloat32).masked_fill(occupied, std::numeric_limits<float>::lowest());
    torch::Tensor probs = torch::softmax(logits, 1).masked_fill_(occupied, 0.0f);
    // 5. One copy back of the real rows: [B, n*n | value].
    const torch::Tensor out = torch::cat({probs, v.to(torch::kFloat32).reshape({rows, 1})}, 1)
                                  .narrow(0, 0, b)
                                  .to(torch::kCPU)
                                  .contiguous();
    const float* src = out.data_ptr<float>();
    for (int64_t i = 0; i < b; ++i) {
      std::memcpy(policy.data() + i * points, src + i * (points + 1), points * sizeof(float));
      value[i] = src[i * (points + 1) + points];
    }
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("TorchEvaluator on ", device_.str(), ", model ",
                                            model->version, ": forward failed: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace zf
