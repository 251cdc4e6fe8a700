/* The portable accumulators of the fully connected kernels (ig_kernels.h, ig_ops_quant.h), one weight, row or row
 * pair at a time: kernels/scalar/ runs every row through them, a SIMD family the rows its blocks leave over. */
#ifndef IG_FC_ROWS_H
#define IG_FC_ROWS_H
#include <stddef.h>
#include <stdint.h>

#include "ig_fixedpoint.h"

/* w[n, k] of int8 row-major (bits 8) or int4 row-pair (bits 4, ig_kernels.h) weights */
static inline __attribute__((always_inline)) int32_t ig_weight_at(const int8_t *w, int32_t bits, int32_t n, int32_t k,
                                                                   int32_t k_dim) {
  if (bits == 8) return w[(size_t)n * (size_t)k_dim + (size_t)k];
  int32_t b = w[(size_t)(n >> 1) * (size_t)k_dim + (size_t)k];
  return (n & 1) ? (b & 15) - 8 : b >> 4;
}

/* bias[n] + sum_g group_scale_t[g, n] * sum_{k in g} x[k] w[n, k] (modulo 2^32) over groups = k_dim / group_size,
 * w row-major int8 */
static inline __attribute__((always_inline)) int32_t ig_grouped_row_s8(const int8_t *x, const int8_t *w,
                                                                        const int32_t *bias,
                                                                        const int32_t *group_scale_t, int32_t k_dim,
                                                                        int32_t n_dim, int32_t group_size,
                                                                        int32_t groups, int32_t n) {
  const int8_t *row = w + (size_t)n * (size_t)k_dim;
  int32_t acc = bias[n];
  for (int32_t g = 0; g < groups; g++) {
    int32_t s = 0;
    for (int32_t k = g * group_size; k < (g + 1) * group_size; k++) s += (int32_t)x[k] * (int32_t)row[k];
    acc = ig_wadd(acc, ig_wmul(s, group_scale_t[(size_t)g * (size_t)n_dim + (size_t)n]));
  }
  return acc;
}

/* The same for the row pair n, n + 1 of int4 weights (ig_kernels.h's pairs): acc[0] row n, acc[1] row n + 1; for an
 * odd N the padding row (weights 0) borrows row n's bias and scale. */
static inline __attribute__((always_inline)) void ig_grouped_pair_s8w4(const int8_t *x, const int8_t *w_pairs,
                                                                        const int32_t *bias,
                                                                        const int32_t *group_scale_t, int32_t k_dim,
                                                                        int32_t n_dim, int32_t group_size,
                                                                        int32_t groups, int32_t n, int32_t acc[2]) {
  const int8_t *row = w_pairs + (size_t)(n >> 1) * (size_t)k_dim;
  int32_t last = n + 1 < n_dim ? n + 1 : n;
  int32_t a0 = bias[n], a1 = bias[last];
  for (int32_t g = 0; g < groups; g++) {
    int32_t p0 = 0, p1 = 0;
    for (int32_t k = g * group_size; k < (g + 1) * group_size; k++) {
      int32_t b = row[k];
      p0 += (int32_t)x[k] * (b >> 4);
      p1 += (int32_t)x[k] * ((b & 15) - 8);
    }
    a0 = ig_wadd(a0, ig_wmul(p0, group_scale_t[(size_t)g * (size_t)n_dim + (size_t)n]));
    a1 = ig_wadd(a1, ig_wmul(p1, group_scale_t[(size_t)g * (size_t)n_dim + (size_t)last]));
  }
  acc[0] = a0;
  acc[1] = a1;
}
#endif
