#include "tools/zerofleet/signals.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>

#include "absl/time/clock.h"

namespace zf::cli {
namespace {

std::atomic<int> signals_received{0};  // the process-wide state a handler needs
std::atomic<int64_t> first_signal_ns{0};

int64_t MonotonicNanos() {  // clock_gettime is async-signal-safe
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

void OnStopSignal(int) {
  const int64_t now = MonotonicNanos();
  if (signals_received.fetch_add(1) == 0) {
    first_signal_ns.store(now);
    static const char kMsg[] = "\nzerofleet: stopping after the current step (again to quit now)\n";
    (void)!write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
    return;
  }
  // A repeat within a second is the same stop delivered twice (`timeout` signals the child and
  // then its whole process group), not a person pressing Ctrl-C again.
  if (now - first_signal_ns.load() > 1000000000) _exit(130);
}

}  // namespace

SignalWatcher::SignalWatcher(std::atomic<bool>* stop) : stop_(stop) {
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  thread_ = std::thread([this] {
    while (!done_.load()) {
      if (signals_received.load() > 0) stop_->store(true);
      absl::SleepFor(absl::Milliseconds(50));
    }
  });
}

SignalWatcher::~SignalWatcher() {
  done_ = true;
  thread_.join();
}

}  // namespace zf::cli
