// `zerofleet bench nn` and `zerofleet bench selfplay`: the network's own speed (the ceiling
// self-play is compared with) and self-play with the real network as a fraction of it.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/nn/blas_info.h"
#include "common/nn/torch_evaluator.h"
#include "tools/zerofleet/bench_json.h"
#include "tools/zerofleet/bench_nn.h"
#include "tools/zerofleet/cli.h"

ABSL_FLAG(std::string, nets, "tiny,small", "Comma-separated network presets to measure");
ABSL_FLAG(std::string, batches, "1,16,64,256", "bench nn: comma-separated batch sizes");
ABSL_FLAG(std::string, pad_batches, "auto",
          "bench: pad each batch to a few tuned sizes (auto = on CUDA only, on, off)");
ABSL_FLAG(bool, recommend, true, "bench selfplay: also measure and print recommended settings");
ABSL_FLAG(std::string, precisions, "bf16",
          "bench nn: comma-separated fp32, bf16 (bf16 applies on CUDA; CPU always runs fp32)");

namespace zf::cli {
namespace {

// Self-play only pays off when the tree is negligible next to the network.
constexpr double kSelfPlayTargetRatio = 0.85;

// `count` positions from random games on an n x n board, 5..40 moves in.
std::vector<EncodedPosition> RandomPositions(int count, int size) {
  std::mt19937_64 rng(11);
  std::vector<EncodedPosition> out;
  int16_t legal[kMaxPoints];
  while (static_cast<int>(out.size()) < count) {
    GameState s(Rules{size, std::min(5, size), Rule::kFreestyle});
    const int moves = 5 + static_cast<int>(rng() % 36);
    for (int i = 0; i < moves && !s.IsTerminal(); ++i) {
      const int n = s.LegalMoves(absl::MakeSpan(legal));
      s.PlayUnchecked(legal[rng() % n]);
    }
    if (!s.IsTerminal()) out.push_back(Encode(s));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<TorchEvaluator>> MakeNet(const std::string& preset,
                                                        bool bf16 = true) {
  absl::StatusOr<NetConfig> config = NetConfigFromPreset(preset);
  if (!config.ok()) return config.status();
  torch::manual_seed(1);
  PolicyValueNet net(*config);
  TorchEvaluatorOptions options;
  options.device = absl::GetFlag(FLAGS_device);
  options.bf16 = bf16;
  const std::string pad = absl::GetFlag(FLAGS_pad_batches);
  using Padding = TorchEvaluatorOptions::Padding;
  if (pad == "on") {
    options.pad_batches = Padding::kOn;
  } else if (pad == "off") {
    options.pad_batches = Padding::kOff;
  } else if (pad != "auto") {
    return absl::InvalidArgumentError(
        absl::StrCat("--pad-batches: '", pad, "' is not auto, on or off"));
  }
  return TorchEvaluator::Create(net, 0, options);
}

// The evaluator calls of a self-play run: their sizes and wall time. Thread-safe.
class BatchLog {
 public:
  struct Summary {
    double eval_share;  // evaluator seconds / all threads' seconds
    double avg_batch;
    int distinct_sizes;
  };
  void Add(int size, double seconds) {
    absl::MutexLock lock(&mu_);
    ++calls_;
    positions_ += size;
    seconds_ += seconds;
    sizes_.insert(size);
  }
  Summary Summarize(double thread_seconds) const {
    absl::MutexLock lock(&mu_);
    return {seconds_ / thread_seconds, calls_ > 0 ? double(positions_) / calls_ : 0.0,
            static_cast<int>(sizes_.size())};
  }

 private:
  mutable absl::Mutex mu_;
  int64_t calls_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t positions_ ABSL_GUARDED_BY(mu_) = 0;
  double seconds_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_set<int> sizes_ ABSL_GUARDED_BY(mu_);
};

// --batches and --precisions, checked.
absl::StatusOr<std::vector<int>> BatchList() {
  std::vector<int> out;
  for (absl::string_view b : absl::StrSplit(absl::GetFlag(FLAGS_batches), ',', absl::SkipEmpty())) {
    int n = 0;
    if (!absl::SimpleAtoi(b, &n) || n < 1 || n > 65536) {
      return absl::InvalidArgumentError(absl::StrCat("--batches: '", b, "' is not 1..65536"));
    }
    out.push_back(n);
  }
  if (out.empty()) return absl::InvalidArgumentError("--batches: empty");
  return out;
}

absl::StatusOr<std::vector<std::string>> PrecisionList() {
  std::vector<std::string> out =
      absl::StrSplit(absl::GetFlag(FLAGS_precisions), ',', absl::SkipEmpty());
  for (const std::string& p : out) {
    if (p != "fp32" && p != "bf16") {
      return absl::InvalidArgumentError(
          absl::StrCat("--precisions: '", p, "' is not fp32 or bf16"));
    }
  }
  if (out.empty()) return absl::InvalidArgumentError("--precisions: empty");
  return out;
}

std::vector<std::string> NetList() {
  return absl::StrSplit(absl::GetFlag(FLAGS_nets), ',', absl::SkipEmpty());
}

}  // namespace

absl::StatusOr<double> MeasureEvalsPerSecond(Evaluator* evaluator, int batch, int board,
                                             double seconds) {
  const std::vector<EncodedPosition> positions = RandomPositions(batch, board);
  std::vector<float> policy(size_t(batch) * board * board), value(batch);
  for (int i = 0; i < 2; ++i) {  // warm-up: allocator, oneDNN kernels
    if (absl::Status s =
            evaluator->Evaluate(positions, absl::MakeSpan(policy), absl::MakeSpan(value));
        !s.ok())
      return s;
  }
  int64_t calls = 0;
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Seconds(seconds);
  do {
    if (absl::Status s =
            evaluator->Evaluate(positions, absl::MakeSpan(policy), absl::MakeSpan(value));
        !s.ok())
      return s;
    ++calls;
  } while (absl::Now() < end);
  return calls * batch / absl::ToDoubleSeconds(absl::Now() - start);
}

absl::StatusOr<double> RunSelfPlayFor(const SelfPlayOptions& options, Evaluator* evaluator,
                                      double seconds, SelfPlayStats* stats) {
  std::atomic<bool> stop{false};
  std::thread timer([&] {
    absl::SleepFor(absl::Seconds(seconds));
    stop = true;
  });
  const absl::Time start = absl::Now();
  absl::Status s = RunSelfPlay(
      options, evaluator, [](GameRecord&&) {}, stats, &stop);
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  timer.join();
  if (!s.ok()) return s;
  return elapsed;
}

int BenchNn(double seconds, bool json) {
  const int board = absl::GetFlag(FLAGS_board_size);
  absl::StatusOr<std::vector<int>> batches = BatchList();
  if (!batches.ok()) return Fail(batches.status());
  absl::StatusOr<std::vector<std::string>> precisions = PrecisionList();
  if (!precisions.ok()) return Fail(precisions.status());
  BenchJson rows = BenchJson::array();
  if (!json) {
    std::printf("network alone (TorchEvaluator, in-process), %dx%d board\n%s\n\n", board, board,
                BlasInfo().c_str());
    std::printf("%6s %5s %6s %12s %12s %10s\n", "net", "prec", "batch", "evals/s", "MFLOP/eval",
                "GFLOP/s");
  }
  for (const std::string& preset : NetList()) {
    for (const std::string& precision : *precisions) {
      absl::StatusOr<std::unique_ptr<TorchEvaluator>> net = MakeNet(preset, precision == "bf16");
      if (!net.ok()) return Fail(net.status());
      const double mflops = ForwardFlops(*NetConfigFromPreset(preset), board) / 1e6;
      for (int batch : *batches) {
        absl::StatusOr<double> evals = MeasureEvalsPerSecond(net->get(), batch, board, seconds);
        if (!evals.ok()) return Fail(evals.status());
        if (json) {
          rows.push_back({{"net", preset},
                          {"precision", precision},
                          {"device", (*net)->device().str()},
                          {"batch", batch},
                          {"evals_per_sec", Rounded(*evals, 1)},
                          {"mflop_per_eval", Rounded(mflops, 2)},
                          {"tflops", Rounded(*evals * mflops / 1e6, 4)}});
        } else {
          std::printf("%6s %5s %6d %12.0f %12.2f %10.1f\n", preset.c_str(), precision.c_str(),
                      batch, *evals, mflops, *evals * mflops / 1e3);
        }
      }
    }
  }
  if (json) {
    PrintJson({{"bench", "nn"}, {"board", board}, {"blas", BlasInfo()}, {"results", rows}});
  }
  return 0;
}

// The smallest batch that reaches 90% of the network's best evals/s (more games than that only
// cost memory and latency), one leaf per tree (stronger at equal visits than deeper virtual
// loss), a thread per core on CPU to keep both busy. Prints it (text), or returns its JSON row.
absl::StatusOr<BenchJson> RecommendSelfPlaySettings(int board, double seconds, bool json) {
  absl::StatusOr<std::unique_ptr<TorchEvaluator>> net = MakeNet(NetList().front());
  if (!net.ok()) return net.status();
  const bool gpu = (*net)->device().is_cuda();
  std::vector<std::pair<int, double>> curve;
  double best = 0;
  for (int b : {8, 16, 32, 64, 128, 256, 512}) {
    absl::StatusOr<double> evals = MeasureEvalsPerSecond(net->get(), b, board, seconds / 4);
    if (!evals.ok()) return evals.status();
    curve.emplace_back(b, *evals);
    best = std::max(best, *evals);
  }
  int knee = curve.back().first;
  for (const auto& [b, evals] : curve) {
    if (evals >= 0.9 * best) {
      knee = b;
      break;
    }
  }
  // GPU: the `gpu` preset's threads (half the cores, 2..8); CPU: one per core.
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int threads = gpu ? std::clamp(cores / 2, 2, 8) : cores;
  const int train_batch = gpu ? 1024 : 256;
  const std::string recommendation =
      absl::StrFormat("--parallel-games %d --leaves-per-game 1 --threads %d --batch-size %d",
                      knee * threads, threads, train_batch);
  if (json) return BenchJson{{"recommended", recommendation}, {"knee_batch", knee}};
  std::printf("\nnetwork %s evals/s by batch:", NetList().front().c_str());
  for (const auto& [b, evals] : curve) std::printf(" %d:%.0f", b, evals);
  std::printf("\nrecommended for this machine: %s\n", recommendation.c_str());
  return BenchJson();
}

// The network's evals/s used the way self-play uses it: `callers` threads at once, each with
// its share of `batch`.
absl::StatusOr<double> MeasureCeiling(Evaluator* net, int callers, int batch, int board,
                                      double seconds) {
  std::vector<absl::StatusOr<double>> rates(callers, 0.0);
  std::vector<std::thread> workers;
  for (int t = 0; t < callers; ++t) {
    workers.emplace_back(
        [&, t] { rates[t] = MeasureEvalsPerSecond(net, batch / callers, board, seconds); });
  }
  for (auto& w : workers) w.join();
  double total = 0;
  for (const auto& r : rates) {
    if (!r.ok()) return r.status();
    total += *r;
  }
  return total;
}

int BenchSelfPlay(double seconds, bool json) {
  absl::StatusOr<SelfPlayOptions> options = SelfPlayOptionsFromFlags();
  if (!options.ok()) return Fail(options.status());
  const int board = options->rules.size;
  const int batch = options->parallel_games * options->search.leaves_per_game;
  BenchJson rows = BenchJson::array();
  if (!json) {
    std::printf(
        "self-play with the real network vs the network alone at the same batch\n"
        "%s, %d sims/move, parallel_games %d x leaves_per_game %d = batch %d, %d thread(s)\n"
        "%s\n\n",
        DescribeRules(options->rules).c_str(), options->search.simulations, options->parallel_games,
        options->search.leaves_per_game, batch, options->threads, BlasInfo().c_str());
    std::printf("%6s %14s %14s %14s %8s %8s\n", "net", "ceiling ev/s", "selfplay sims/s",
                "selfplay ev/s", "ratio", "target");
  }
  for (const std::string& preset : NetList()) {
    absl::StatusOr<std::unique_ptr<TorchEvaluator>> net = MakeNet(preset);
    if (!net.ok()) return Fail(net.status());
    const int callers = std::min(options->threads, options->parallel_games);
    absl::StatusOr<double> ceiling = MeasureCeiling(net->get(), callers, batch, board, seconds);
    if (!ceiling.ok()) return Fail(ceiling.status());
    // Where self-play's time goes: inside the evaluator (share of all threads' time) or in
    // the tree, and how many distinct batch sizes the evaluator was given.
    BatchLog log;
    ObservedEvaluator observed(net->get(), [&log](int size, double s) { log.Add(size, s); });
    SelfPlayStats stats;
    absl::StatusOr<double> ran = RunSelfPlayFor(*options, &observed, seconds, &stats);
    if (!ran.ok()) return Fail(ran.status());
    const double elapsed = *ran;
    const double sims = stats.simulations.load() / elapsed;
    const double evals = stats.evaluations.load() / elapsed;
    const BatchLog::Summary seen = log.Summarize(callers * elapsed);
    if (json) {
      rows.push_back({{"net", preset},
                      {"ceiling_evals_per_sec", Rounded(*ceiling, 1)},
                      {"selfplay_sims_per_sec", Rounded(sims, 1)},
                      {"selfplay_evals_per_sec", Rounded(evals, 1)},
                      {"ratio", Rounded(sims / *ceiling, 3)},
                      {"eval_share", Rounded(seen.eval_share, 3)},
                      {"avg_batch", Rounded(seen.avg_batch, 1)},
                      {"distinct_batch_sizes", seen.distinct_sizes},
                      {"padded", (*net)->pads_batches()}});
    } else {
      std::printf("%6s %14.0f %14.0f %14.0f %8.3f %8.2f\n", preset.c_str(), *ceiling, sims, evals,
                  sims / *ceiling, kSelfPlayTargetRatio);
      std::printf("       time in the evaluator %.0f%%, avg batch %.1f, %d distinct sizes%s\n",
                  100 * seen.eval_share, seen.avg_batch, seen.distinct_sizes,
                  (*net)->pads_batches() ? " (padded)" : "");
    }
  }
  if (absl::GetFlag(FLAGS_recommend)) {
    absl::StatusOr<BenchJson> recommendation = RecommendSelfPlaySettings(board, seconds, json);
    if (!recommendation.ok()) return Fail(recommendation.status());
    if (json) rows.push_back(*recommendation);
  }
  if (json) {
    PrintJson({{"bench", "selfplay"},
               {"board", board},
               {"sims_per_move", options->search.simulations},
               {"batch", batch},
               {"target_ratio", kSelfPlayTargetRatio},
               {"results", rows}});
  } else {
    std::printf("\nratio = self-play sims/s / the network's evals/s at batch %d (target >= %.2f)\n",
                batch, kSelfPlayTargetRatio);
  }
  return 0;
}

FlagList BenchNnFlags() {
  return {FLAGS_nets, FLAGS_batches, FLAGS_precisions, FLAGS_pad_batches, FLAGS_recommend};
}

}  // namespace zf::cli
