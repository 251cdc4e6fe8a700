/* channel_gather (quant/ops/gather.py): y[r, j] = clamp(rshr((x[r, index[j]] - x_zp) * mult, shift) + y_zp,
 * act_min, act_max), with x[r, index[j]] - x_zp taken as 0 where index[j] = -1. Portable C, int64 arithmetic. */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops_quant.h"

static inline __attribute__((always_inline)) void gather_body(const void *x, int32_t xb, int32_t rows,
                                                               int32_t k_dim, const int32_t *index, int32_t j_dim,
                                                               int32_t x_zp, int32_t mult, int32_t shift,
                                                               int32_t y_zp, int32_t act_min, int32_t act_max,
                                                               void *y, int32_t yb) {
  for (int32_t r = 0; r < rows; r++) {
    const char *xr = (const char *)x + (size_t)r * (size_t)k_dim * (size_t)xb;
    for (int32_t j = 0; j < j_dim; j++) {
      int32_t i = index[j];
      int64_t c = i < 0 ? 0 : (int64_t)ig_load(xr, i, xb) - x_zp;
      int64_t v = ig_rshr64(c * mult, shift) + y_zp;
      ig_store(y, r * j_dim + j, (int32_t)(v < act_min ? act_min : (v > act_max ? act_max : v)), yb);
    }
  }
}

#define IG_GATHER_DEF(D_, X, XT, Y, YT)                                                                           \
  IG_WEAK void ig_channel_gather_##X##_##Y(const XT *x, int32_t rows, int32_t k_dim, const int32_t *index,       \
                                           int32_t j_dim, int32_t x_zp, int32_t mult, int32_t shift,             \
                                           int32_t y_zp, int32_t act_min, int32_t act_max, YT *y) {              \
    gather_body(x, sizeof(XT), rows, k_dim, index, j_dim, x_zp, mult, shift, y_zp, act_min, act_max, y,          \
                sizeof(YT));                                                                                      \
  }
IG_FOR_2(IG_GATHER_DEF)
