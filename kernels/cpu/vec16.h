// v16: sixteen floats as a GCC/Clang vector type. With AVX-512 it is one
// register; without, the compiler splits it into narrower ones, so code written on
// it is portable. Kernels use it where they need a loop shape `omp simd` does not
// give them: sums kept in registers across a row (a simd reduction spills its
// lanes to the stack and reloads them one float at a time), a chosen number of
// accumulators in flight, exp on whole vectors.
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

inline float sum_lanes(v16 v) {
  float sum = 0.0f;
  for (int i = 0; i < 16; ++i) sum += v[i];
  return sum;
}

// The first n (0..16) floats at p, the other lanes zero.
inline v16 load16(const float* p, int n) {
  v16 v = {};
  std::memcpy(&v, p, sizeof(float) * n);
  return v;
}

inline void store16(float* p, v16 v, int n) { std::memcpy(p, &v, sizeof(float) * n); }

// The build's widest float vector (16 floats with AVX-512, else 8) and how many
// such registers there are. Loops that keep many accumulators in registers use
// it: on AVX2, GCC 12 moves the halves of a v16 and every scalar broadcast into
// one through the stack.
#if defined(__AVX512F__)
inline constexpr int kNativeFloats = 16;
inline constexpr int kVectorRegisters = 32;
#else
inline constexpr int kNativeFloats = 8;
inline constexpr int kVectorRegisters = 16;
#endif
using vnative = float __attribute__((vector_size(kNativeFloats * sizeof(float))));

inline vnative load_native(const float* p) {
  vnative v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store_native(float* p, vnative v) { std::memcpy(p, &v, sizeof v); }

}  // namespace gs::kernels::cpu
