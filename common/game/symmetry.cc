#include "common/game/symmetry.h"

#include <utility>

namespace zf {

int TransformPoint(int point, int symmetry, int size) {
  int x = point % size;
  int y = point / size;
  if (symmetry & 4) std::swap(x, y);
  if (symmetry & 1) x = size - 1 - x;
  if (symmetry & 2) y = size - 1 - y;
  return y * size + x;
}

int InverseSymmetry(int symmetry) {
  // Flips alone are their own inverse. With the swap, undoing the flips happens before the swap,
  // where the x and y flips have traded places.
  if (!(symmetry & 4)) return symmetry;
  return 4 | ((symmetry & 1) << 1) | ((symmetry & 2) >> 1);
}

int ComposeSymmetries(int a, int b) {
  // Find c by its action on two points that tell all 8 apart on a 3x3 board.
  constexpr int kSize = 3;
  const int p1 = 1, p2 = 3;  // (1,0) and (0,1)
  const int t1 = TransformPoint(TransformPoint(p1, a, kSize), b, kSize);
  const int t2 = TransformPoint(TransformPoint(p2, a, kSize), b, kSize);
  for (int c = 0; c < 8; ++c) {
    if (TransformPoint(p1, c, kSize) == t1 && TransformPoint(p2, c, kSize) == t2) return c;
  }
  return 0;  // unreachable: D4 is closed
}

void TransformPolicy(absl::Span<const float> in, int symmetry, int size, absl::Span<float> out) {
  const int n = size * size;
  for (int p = 0; p < n; ++p) out[TransformPoint(p, symmetry, size)] = in[p];
}

}  // namespace zf
