// Learner throughput: Trainer::Step against a bare forward + backward + optimizer step on the
// same batch (the floor), and ReplayBuffer::Sample. Not a test (prints figures only):
//
//   build-learner/bin/learner_throughput [preset=small] [batch=256] [board=15] [rounds=5]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tuple>

#include "absl/synchronization/mutex.h"
#include "common/search/self_play.h"
#include "learner/replay_buffer.h"
#include "learner/trainer.h"

namespace zf {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int Main(int argc, char** argv) {
  const std::string preset = argc > 1 ? argv[1] : "small";
  const int batch_size = argc > 2 ? std::atoi(argv[2]) : 256;
  const int board = argc > 3 ? std::atoi(argv[3]) : 15;
  const int rounds = argc > 4 ? std::atoi(argv[4]) : 5;

  // Real positions: uniform-evaluator self-play.
  SelfPlayOptions sp;
  sp.rules = Rules{board, board >= 9 ? 5 : 3, Rule::kFreestyle};
  sp.search.simulations = 100;
  sp.search.root_noise = true;
  sp.parallel_games = 8;
  sp.max_games = 8;
  UniformEvaluator uniform;
  ReplayBuffer buffer;
  absl::Mutex mu;
  SelfPlayStats stats;
  const absl::Status played = RunSelfPlay(
      sp, &uniform,
      [&](GameRecord&& g) {
        absl::MutexLock lock(&mu);
        if (!buffer.AddGame(g).ok()) std::abort();
      },
      &stats);
  if (!played.ok()) return 1;
  std::mt19937_64 rng(1);
  auto t0 = std::chrono::steady_clock::now();
  const int sample_reps = 20;
  absl::StatusOr<TrainingBatch> batch;
  for (int i = 0; i < sample_reps; ++i) batch = buffer.Sample(batch_size, rng);
  if (!batch.ok()) return 1;
  const double sample_s = Seconds(t0) / sample_reps;

  const NetConfig config = *NetConfigFromPreset(preset);
  TrainerOptions options;
  options.device = "cpu";
  options.batch_size = batch_size;
  auto trainer = Trainer::Create(config, options);
  if (!trainer.ok()) {
    std::fprintf(stderr, "%s\n", trainer.status().ToString().c_str());
    return 1;
  }
  // The bare loop: same net shape, same optimizer settings, same losses, nothing else.
  torch::manual_seed(1);
  PolicyValueNet bare(config);
  bare->train();
  torch::optim::SGD sgd(bare->parameters(), torch::optim::SGDOptions(options.lr)
                                                .momentum(options.momentum)
                                                .weight_decay(options.weight_decay));
  auto bare_step = [&] {
    sgd.zero_grad();
    auto [logits, value] = bare->forward(batch->inputs);
    const torch::Tensor loss = -(batch->policy * torch::log_softmax(logits, 1)).sum(1).mean() +
                               (value - batch->value).square().mean();
    loss.backward();
    sgd.step();
    return loss.item<double>();
  };
  auto trainer_step = [&] { return (*trainer)->Step(*batch)->policy_loss; };

  bare_step();  // warm up both
  trainer_step();
  double bare_s = 0, trainer_s = 0;
  for (int r = 0; r < rounds; ++r) {  // interleaved, so load changes hit both alike
    t0 = std::chrono::steady_clock::now();
    bare_step();
    bare_s += Seconds(t0);
    t0 = std::chrono::steady_clock::now();
    trainer_step();
    trainer_s += Seconds(t0);
  }
  const double bare_rate = rounds * batch_size / bare_s;
  const double trainer_rate = rounds * batch_size / trainer_s;
  std::printf("preset %s, batch %d, %dx%d, %d torch threads, %d rounds\n", preset.c_str(),
              batch_size, board, board, torch::get_num_threads(), rounds);
  std::printf("bare fwd+bwd+sgd:  %8.1f samples/s\n", bare_rate);
  std::printf("Trainer::Step:     %8.1f samples/s  (ratio %.3f; target >= 0.9)\n", trainer_rate,
              trainer_rate / bare_rate);
  std::printf("ReplayBuffer::Sample: %.2f ms per batch (%.0f samples/s)\n", 1e3 * sample_s,
              batch_size / sample_s);
  return 0;
}

}  // namespace
}  // namespace zf

int main(int argc, char** argv) { return zf::Main(argc, argv); }
