// The thread count shared by the OpenMP kernels and OpenBLAS; the kernels
// themselves live in matmul.cpp, elementwise.cpp and attention.cpp.
#include "kernels/cpu/fast.h"

#include <cblas.h>
#include <omp.h>

#include "kernels/check.h"

namespace gs::kernels::cpu {

void set_threads(int threads) {
  GS_CHECK(threads >= 1, "CPU threads must be at least 1, got " << threads);
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
}

int threads() { return omp_get_max_threads(); }

}  // namespace gs::kernels::cpu
