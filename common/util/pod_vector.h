// A growable array of trivially copyable values that does not zero-fill what it grows into
// (std::vector::resize would), for hot pools written right after they grow. Header-only.
// Not thread-safe.
#ifndef ZEROFLEET_COMMON_UTIL_POD_VECTOR_H_
#define ZEROFLEET_COMMON_UTIL_POD_VECTOR_H_

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

namespace zf {

template <typename T>
class PodVector {
  static_assert(std::is_trivially_copyable_v<T>, "PodVector holds plain values only");

 public:
  PodVector() = default;
  PodVector(const PodVector&) = delete;
  PodVector& operator=(const PodVector&) = delete;

  size_t size() const { return size_; }
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  void clear() { size_ = 0; }

  // Grows by `n` uninitialised elements; returns the index of the first.
  size_t Grow(size_t n) {
    if (size_ + n > capacity_) Reserve(std::max(size_ + n, capacity_ * 2));
    const size_t first = size_;
    size_ += n;
    return first;
  }
  // Drops elements past `size` (size <= size()).
  void Shrink(size_t size) { size_ = size; }
  void Append(const T* values, size_t n) {
    const size_t first = Grow(n);
    std::memcpy(data_.get() + first, values, n * sizeof(T));
  }
  void Reserve(size_t capacity) {
    if (capacity <= capacity_) return;
    void* p = std::realloc(data_.get(), capacity * sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
    data_.release();
    data_.reset(static_cast<T*>(p));
    capacity_ = capacity;
  }
  void swap(PodVector& o) {
    data_.swap(o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
  }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T[], Free> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace zf

#endif  // ZEROFLEET_COMMON_UTIL_POD_VECTOR_H_
