#include "tools/play/evaluator_factory.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/nn/model_file.h"
#include "common/nn/torch_evaluator.h"
#include "tools/play/player_spec.h"

namespace zf::play {

absl::StatusOr<std::unique_ptr<Evaluator>> MakeEvaluator(absl::string_view spec,
                                                         const std::string& device) {
  absl::StatusOr<PlayerSpec> parsed = ParsePlayerSpec(spec);
  if (!parsed.ok()) return parsed.status();
  if (parsed->kind != SpecKind::kModelFile) return MakeBuiltinEvaluator(*parsed);
  // LoadModel and TorchEvaluator::Create catch LibTorch exceptions and return statuses.
  absl::StatusOr<LoadedModel> model = LoadModel(parsed->path);
  if (!model.ok()) return model.status();
  TorchEvaluatorOptions options;
  options.device = device;
  absl::StatusOr<std::unique_ptr<TorchEvaluator>> evaluator =
      TorchEvaluator::Create(std::move(model->net), model->version, options);
  if (!evaluator.ok()) {
    return absl::Status(evaluator.status().code(),
                        absl::StrCat(parsed->path, ": ", evaluator.status().message()));
  }
  return std::unique_ptr<Evaluator>(std::move(*evaluator));
}

}  // namespace zf::play
