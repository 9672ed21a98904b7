// The 8 symmetries of a square board (the dihedral group D4), for points, positions and policy
// vectors. Implemented in symmetry.cc. Thread-safe (no state).
//
// Symmetry s in 0..7 maps (x, y) by: if (s & 4) swap x and y; then if (s & 1) x = n-1-x;
// then if (s & 2) y = n-1-y. s = 0 is the identity.
#ifndef ZEROFLEET_COMMON_GAME_SYMMETRY_H_
#define ZEROFLEET_COMMON_GAME_SYMMETRY_H_

#include "absl/types/span.h"

namespace zf {

constexpr int kNumSymmetries = 8;

int TransformPoint(int point, int symmetry, int size);
// The symmetry that undoes `symmetry`.
int InverseSymmetry(int symmetry);
// The symmetry c with TransformPoint(TransformPoint(p, a), b) == TransformPoint(p, c).
int ComposeSymmetries(int a, int b);
// out[TransformPoint(p, s)] = in[p] for every point; `in` and `out` hold size*size values.
void TransformPolicy(absl::Span<const float> in, int symmetry, int size, absl::Span<float> out);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_GAME_SYMMETRY_H_
