// AutocastGuard: RAII mixed-precision scope for LibTorch, the C++ twin of Python's
// `with torch.autocast(device_type, dtype)`. Header-only (no .cc).
//
// Autocast state is thread-local in LibTorch, so a guard affects only the thread that made it.
// Not thread-safe (create and destroy it on one thread, like any scope guard).
//
// LibTorch moved the API: up to 2.3 it is per-device functions (set_enabled for CUDA,
// set_cpu_enabled for CPU, set_autocast_{gpu,cpu}_dtype); 2.4 added
// set_autocast_enabled(device_type, bool) / set_autocast_dtype(device_type, dtype) and
// deprecated the old ones (a warning, an error under -Werror). The guards below pick one.
#ifndef ZEROFLEET_COMMON_NN_AUTOCAST_H_
#define ZEROFLEET_COMMON_NN_AUTOCAST_H_

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define ZF_AUTOCAST_DEVICE_API 1
#else
#define ZF_AUTOCAST_DEVICE_API 0
#endif

namespace zf {

// Turns autocast on (or explicitly off) for `device`'s type within the scope, restoring the
// previous state and dtype on exit; the cast cache is cleared when the outermost scope ends.
// Only CPU and CUDA are supported; other device types make the guard a no-op.
class AutocastGuard {
 public:
  AutocastGuard(torch::Device device, bool enabled, torch::ScalarType dtype = torch::kBFloat16)
      : type_(device.type()), active_(type_ == torch::kCPU || type_ == torch::kCUDA) {
    if (!active_) return;
    prev_enabled_ = IsEnabled(type_);
    prev_dtype_ = GetDtype(type_);
    SetEnabled(type_, enabled);
    SetDtype(type_, dtype);
    at::autocast::increment_nesting();
  }
  ~AutocastGuard() {
    if (!active_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    SetEnabled(type_, prev_enabled_);
    SetDtype(type_, prev_dtype_);
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

#if ZF_AUTOCAST_DEVICE_API
  // Whether autocast is on for device type `t` on this thread. Thread-safe (thread-local).
  static bool IsEnabled(c10::DeviceType t) { return at::autocast::is_autocast_enabled(t); }

 private:
  static void SetEnabled(c10::DeviceType t, bool on) { at::autocast::set_autocast_enabled(t, on); }
  static torch::ScalarType GetDtype(c10::DeviceType t) {
    return at::autocast::get_autocast_dtype(t);
  }
  static void SetDtype(c10::DeviceType t, torch::ScalarType d) {
    at::autocast::set_autocast_dtype(t, d);
  }
#else
  // Whether autocast is on for device type `t` on this thread. Thread-safe (thread-local).
  static bool IsEnabled(c10::DeviceType t) {
    if (t == torch::kCPU) return at::autocast::is_cpu_enabled();
    if (t == torch::kCUDA) return at::autocast::is_enabled();
    return false;
  }

 private:
  static void SetEnabled(c10::DeviceType t, bool on) {
    if (t == torch::kCPU) at::autocast::set_cpu_enabled(on);
    if (t == torch::kCUDA) at::autocast::set_enabled(on);
  }
  static torch::ScalarType GetDtype(c10::DeviceType t) {
    return t == torch::kCPU ? at::autocast::get_autocast_cpu_dtype()
                            : at::autocast::get_autocast_gpu_dtype();
  }
  static void SetDtype(c10::DeviceType t, torch::ScalarType d) {
    if (t == torch::kCPU) at::autocast::set_autocast_cpu_dtype(d);
    if (t == torch::kCUDA) at::autocast::set_autocast_gpu_dtype(d);
  }
#endif

  c10::DeviceType type_;
  bool active_;
  bool prev_enabled_ = false;
  torch::ScalarType prev_dtype_ = torch::kBFloat16;
};

}  // namespace zf

#endif  // ZEROFLEET_COMMON_NN_AUTOCAST_H_
