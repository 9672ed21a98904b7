// Small integer hashing shared by seeds and test evaluators. Header-only; thread-safe.
#ifndef ZEROFLEET_COMMON_UTIL_HASH_H_
#define ZEROFLEET_COMMON_UTIL_HASH_H_

#include <cstdint>

namespace zf {

// splitmix64: a well-mixed 64-bit value from `x` (derives per-game and per-thread seeds).
inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace zf

#endif  // ZEROFLEET_COMMON_UTIL_HASH_H_
