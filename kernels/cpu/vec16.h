// v16: sixteen floats as a GCC/Clang vector type. With AVX-512 it is one
// register; without, the compiler splits it into narrower ones, so code written on
// it is portable. Used where `omp simd` loops fall short: short dot products,
// whose horizontal sums the auto-vectoriser spills to the stack and reloads one
// float at a time.
#pragma once

#include <cstring>

namespace gs::kernels::cpu {

using v16 = float __attribute__((vector_size(64)));

inline v16 load16(const float* p) {
  v16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store16(float* p, v16 v) { std::memcpy(p, &v, sizeof v); }

// The first n (0..16) floats at p, the other lanes zero.
inline v16 load16(const float* p, int n) {
  v16 v = {};
  std::memcpy(&v, p, sizeof(float) * n);
  return v;
}

inline void store16(float* p, v16 v, int n) { std::memcpy(p, &v, sizeof(float) * n); }

// Lane r holds the sum of the lanes of p[r]: sixteen horizontal sums by a tree of
// 15 adds of two-vector shuffles (each level halves the lanes every row keeps),
// instead of sixteen separate reductions.
inline v16 sum16(const v16 (&p)[16]) {
  v16 a[8];  // lanes 0-7: partial sums of p[2i]; 8-15: of p[2i+1]
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i)
    a[i] = __builtin_shufflevector(p[2 * i], p[2 * i + 1], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19,
                                   20, 21, 22, 23) +
           __builtin_shufflevector(p[2 * i], p[2 * i + 1], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25,
                                   26, 27, 28, 29, 30, 31);
  v16 b[4];  // four-lane groups of p[4i], p[4i+2], p[4i+1], p[4i+3]
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i)
    b[i] = __builtin_shufflevector(a[2 * i], a[2 * i + 1], 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10,
                                   11, 24, 25, 26, 27) +
           __builtin_shufflevector(a[2 * i], a[2 * i + 1], 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14,
                                   15, 28, 29, 30, 31);
  v16 c[2];  // pairs of p[8i + 0, 4, 2, 6, 1, 5, 3, 7]
#pragma GCC unroll 2
  for (int i = 0; i < 2; ++i)
    c[i] = __builtin_shufflevector(b[2 * i], b[2 * i + 1], 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24,
                                   25, 12, 13, 28, 29) +
           __builtin_shufflevector(b[2 * i], b[2 * i + 1], 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26,
                                   27, 14, 15, 30, 31);
  // Lanes: p0, p8, p4, p12, p2, p10, p6, p14, p1, p9, p5, p13, p3, p11, p7, p15.
  const v16 d = __builtin_shufflevector(c[0], c[1], 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12,
                                        28, 14, 30) +
                __builtin_shufflevector(c[0], c[1], 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13,
                                        29, 15, 31);
  return __builtin_shufflevector(d, d, 0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15);
}

}  // namespace gs::kernels::cpu
