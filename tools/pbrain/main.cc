// pbrain-zerofleet: zerofleet as a Gomocup engine (pbrain protocol on stdin/stdout). A thin
// main: find the model, build the evaluator, serve. The protocol lives in
// tools/play/pbrain_engine.h.
//
// Model: --model, else $ZEROFLEET_MODEL, else zerofleet.model beside this executable; with
// none it plays with the uniform evaluator and says so in a MESSAGE line. A model that cannot
// be loaded: START answers ERROR with the reason, and the exit status is 1.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/util/allocator.h"
#include "common/util/command_line.h"
#include "tools/play/evaluator_factory.h"
#include "tools/play/pbrain_engine.h"
#include "tools/play/player_spec.h"

ABSL_FLAG(std::string, model, "",
          "Model file (or uniform / seeded:N); default: $ZEROFLEET_MODEL, then zerofleet.model "
          "beside the executable, then the uniform evaluator");
ABSL_FLAG(std::string, device, "auto", "auto, cpu, cuda or cuda:N");
ABSL_FLAG(int64_t, max_sims, 0, "Playouts per move at most (0 = limited by time only)");
ABSL_FLAG(int, leaves, 4, "Leaves per evaluator call (a few feed a GPU better)");
ABSL_FLAG(double, turn_time, 5.0, "Seconds per move until the manager sends INFO timeout_turn");
ABSL_FLAG(double, c_puct, 1.5, "PUCT exploration constant");

int main(int argc, char** argv) {
  zf::KeepFreedMemoryForReuse();  // tensors' memory is reused, not faulted in again per batch
  absl::SetProgramUsageMessage("pbrain-zerofleet [--model FILE]: a Gomocup (pbrain) engine");
  zf::ParseCommandLineAcceptingDashes(argc, argv);  // --max-sims == --max_sims
  std::ios::sync_with_stdio(false);

  const char* env = std::getenv("ZEROFLEET_MODEL");
  const std::string path = zf::play::FindModelPath(
      {absl::GetFlag(FLAGS_model), env != nullptr ? env : "", zf::play::ExecutableDir()});

  zf::play::PbrainEngineOptions options;
  options.search.search.c_puct = static_cast<float>(absl::GetFlag(FLAGS_c_puct));
  options.search.leaves_per_round = absl::GetFlag(FLAGS_leaves);
  options.max_playouts = absl::GetFlag(FLAGS_max_sims);
  options.default_turn_time = absl::Seconds(absl::GetFlag(FLAGS_turn_time));
  if (absl::Status s = zf::ValidateSearchRunnerOptions(options.search); !s.ok()) {
    std::fprintf(stderr, "pbrain-zerofleet: error: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  std::unique_ptr<zf::Evaluator> evaluator;
  if (path.empty()) {
    evaluator = std::make_unique<zf::UniformEvaluator>();
    options.startup_message =
        "zerofleet: no model found (--model, $ZEROFLEET_MODEL or zerofleet.model beside the "
        "executable); playing with the uniform evaluator";
  } else {
    absl::StatusOr<std::unique_ptr<zf::Evaluator>> made =
        zf::play::MakeEvaluator(path, absl::GetFlag(FLAGS_device));
    if (!made.ok()) {
      // Still speak the protocol: START answers ERROR with the reason, so the manager shows
      // it instead of a dead pipe, and no game is played with a knowledge-free fallback.
      evaluator = std::make_unique<zf::UniformEvaluator>();
      options.startup_error = absl::StrCat("cannot load model: ", made.status().message());
      std::fprintf(stderr, "pbrain-zerofleet: %s\n", options.startup_error.c_str());
    } else {
      evaluator = *std::move(made);
      options.startup_message = absl::StrCat("zerofleet: model ", path);
    }
  }
  zf::play::PbrainEngine engine(options, evaluator.get());
  engine.Run(std::cin, std::cout);
  // A manager that reads exit codes (or a script) sees the failed start too.
  return options.startup_error.empty() ? 0 : 1;
}
