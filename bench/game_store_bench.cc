// GameStore::Append throughput with real fdatasync (learner/game_store.h): games_per_s for one
// caller appending batches of 1 and 32, and for 8 callers appending single games at once (they
// share group commits). The ceiling is BM_PwriteFdatasync: one 8 KiB pwrite + fdatasync per
// iteration on the same disk, i.e. the flushes per second the disk allows; batch-of-1 Append
// cannot beat it. Files go under $TMPDIR (default /tmp), so run it on the learner's disk.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/util/file_io.h"
#include "learner/game_store.h"

namespace zf {
namespace {

constexpr size_t kRecordBytes = 8 << 10;  // about a 15x15 game with root visit counts

class BenchDir {
 public:
  BenchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/zf_store_benchXXXXXX");
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~BenchDir() {
    if (!path_.empty()) RemoveTree(path_).IgnoreError();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<GameStore> OpenOrSkip(const BenchDir& dir, benchmark::State& state) {
  GameStoreOptions options;
  options.dir = dir.path() + "/games";
  absl::StatusOr<std::unique_ptr<GameStore>> store = GameStore::Open(options, nullptr);
  if (!store.ok()) {
    state.SkipWithError(std::string(store.status().message()).c_str());
    return nullptr;
  }
  return *std::move(store);
}

void FillBatch(absl::string_view prefix, int64_t* next, std::vector<StoredGame>* games) {
  for (StoredGame& g : *games) {
    g.game_id = absl::StrCat(prefix, (*next)++);
    g.model_version = 1;
    g.record.assign(kRecordBytes, 'r');
  }
}

void BM_Append(benchmark::State& state) {
  BenchDir dir;
  std::unique_ptr<GameStore> store = OpenOrSkip(dir, state);
  if (store == nullptr) return;
  std::vector<StoredGame> games(static_cast<size_t>(state.range(0)));
  int64_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    FillBatch("actor-0-", &next, &games);
    state.ResumeTiming();
    absl::StatusOr<std::vector<bool>> r = store->Append(games);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
  }
  state.counters["games_per_s"] =
      benchmark::Counter(static_cast<double>(next), benchmark::Counter::kIsRate);
  state.counters["commits"] = static_cast<double>(store->commits());
}
BENCHMARK(BM_Append)->Arg(1)->Arg(32)->ArgName("batch")->UseRealTime()->Unit(
    benchmark::kMicrosecond);

// 8 threads, each appending `per_thread` single games; one iteration = all of them.
void BM_AppendConcurrent(benchmark::State& state) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  BenchDir dir;
  std::unique_ptr<GameStore> store = OpenOrSkip(dir, state);
  if (store == nullptr) return;
  int64_t round = 0;
  int64_t games = 0;
  for (auto _ : state) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&store, t, round] {
        std::vector<StoredGame> one(1);
        int64_t next = 0;
        const std::string prefix = absl::StrCat("actor-", t, "-", round, "-");
        for (int i = 0; i < kPerThread; ++i) {
          FillBatch(prefix, &next, &one);
          if (!store->Append(one).ok()) return;
        }
      });
    }
    for (std::thread& th : threads) th.join();
    ++round;
    games += kThreads * kPerThread;
  }
  if (store->size() != games) state.SkipWithError("an Append failed");
  state.counters["games_per_s"] =
      benchmark::Counter(static_cast<double>(games), benchmark::Counter::kIsRate);
  state.counters["games_per_commit"] =
      static_cast<double>(games) / static_cast<double>(std::max<int64_t>(store->commits(), 1));
}
BENCHMARK(BM_AppendConcurrent)->UseRealTime()->Unit(benchmark::kMillisecond);

// The ceiling: raw flushes per second of this disk.
void BM_PwriteFdatasync(benchmark::State& state) {
  BenchDir dir;
  const std::string path = dir.path() + "/raw";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    state.SkipWithError("cannot create the raw file");
    return;
  }
  const std::string block(kRecordBytes, 'r');
  off_t offset = 0;
  for (auto _ : state) {
    if (pwrite(fd, block.data(), block.size(), offset) != static_cast<ssize_t>(block.size()) ||
        fdatasync(fd) != 0) {
      state.SkipWithError("pwrite/fdatasync failed");
      break;
    }
    offset += static_cast<off_t>(block.size());
  }
  close(fd);
  state.counters["flushes_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PwriteFdatasync)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace zf

BENCHMARK_MAIN();
