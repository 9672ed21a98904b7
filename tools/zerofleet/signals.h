// Turns SIGINT/SIGTERM into a stop flag for the long-running commands (train, learner, actor).
// Implemented in signals.cc.
//
// The first signal sets `stop`; a second one more than a second later ends the process at once
// (exit 130). A repeat within a second is the same stop delivered twice (`timeout` signals the
// child and then its whole process group), not a person pressing Ctrl-C again.
//
// A handler (not sigwait with the signals blocked) because some threads exist before main
// (OpenBLAS starts its workers when the library loads) and cannot be given a blocked mask: a
// signal delivered to one of them would otherwise kill the process. The handler only bumps a
// lock-free counter, which is async-signal-safe; a watcher thread relays it to `stop`.
#ifndef ZEROFLEET_TOOLS_ZEROFLEET_SIGNALS_H_
#define ZEROFLEET_TOOLS_ZEROFLEET_SIGNALS_H_

#include <atomic>
#include <thread>

namespace zf::cli {

// One per process, created before the work starts. Not thread-safe (construct and destroy on
// one thread).
class SignalWatcher {
 public:
  explicit SignalWatcher(std::atomic<bool>* stop);
  ~SignalWatcher();

 private:
  std::atomic<bool>* stop_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace zf::cli

#endif  // ZEROFLEET_TOOLS_ZEROFLEET_SIGNALS_H_
