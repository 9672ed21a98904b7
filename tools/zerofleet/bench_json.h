// The --json output of `zerofleet bench`: one object per run, keys in the order written, numbers
// rounded to the digits the text table shows.
#ifndef ZEROFLEET_TOOLS_ZEROFLEET_BENCH_JSON_H_
#define ZEROFLEET_TOOLS_ZEROFLEET_BENCH_JSON_H_

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include "nlohmann/json.hpp"

namespace zf::cli {

using BenchJson = nlohmann::ordered_json;

// `v` as a whole number (printed without ".0").
inline int64_t Whole(double v) { return std::llround(v); }

// `v` to `digits` decimals.
inline double Rounded(double v, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(v * scale) / scale;
}

// Invalid UTF-8 (a library path in BlasInfo) is replaced, not thrown.
inline void PrintJson(const BenchJson& j) {
  std::printf("%s\n", j.dump(-1, ' ', false, BenchJson::error_handler_t::replace).c_str());
}

}  // namespace zf::cli

#endif  // ZEROFLEET_TOOLS_ZEROFLEET_BENCH_JSON_H_
