/* layernorm (quant/ops/norm.py): integer mean and variance per row, floor square root, one exact division per
 * element by the row's root (ig_round_div_by: a reciprocal per row, no division per element). */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

static inline __attribute__((always_inline)) void layernorm_body(const void *x, int32_t xb, int32_t rows,
                                                                  int32_t channels, const int32_t *gamma,
                                                                  const int32_t *beta, int32_t x_zp, int64_t eps,
                                                                  int32_t shift, int32_t y_zp, int32_t act_min,
                                                                  int32_t act_max, void *y, int32_t yb) {
  for (int32_t r = 0; r < rows; r++) {
    size_t base = (size_t)r * (size_t)channels;
    int64_t sum = 0;
    for (int32_t i = 0; i < channels; i++) sum += (int64_t)ig_load(x, (int32_t)(base + i), xb) - x_zp;
    uint64_t ss = (uint64_t)eps; /* the definition's int64 sum, wrapping alike */
    for (int32_t i = 0; i < channels; i++) {
      int64_t d = (int64_t)channels * ((int64_t)ig_load(x, (int32_t)(base + i), xb) - x_zp) - sum;
      ss += (uint64_t)(d * d);
    }
    int64_t root = ig_isqrt64((int64_t)ss);
    ig_divisor_t div = ig_divisor((uint64_t)(root > 1 ? root : 1));
    for (int32_t i = 0; i < channels; i++) {
      int64_t d = (int64_t)channels * ((int64_t)ig_load(x, (int32_t)(base + i), xb) - x_zp) - sum;
      int64_t n = ig_round_div_by(d * (1ll << 20), div);
      int64_t v = ig_rshr64(n * gamma[i] + beta[i], shift) + y_zp;
      ig_store(y, (int32_t)(base + i), (int32_t)ig_clamp64(v, act_min, act_max), yb);
    }
  }
}

#define IG_LAYERNORM_DEF(D_, X, XT, Y, YT)                                                                        \
  IG_WEAK void ig_layernorm_##X##_##Y(const XT *x, int32_t rows, int32_t channels, const int32_t *gamma,                 \
                              const int32_t *beta, int32_t x_zp, int32_t eps_hi, uint32_t eps_lo, int32_t shift, int32_t y_zp,       \
                              int32_t act_min, int32_t act_max, YT *y) {                                        \
    layernorm_body(x, sizeof(XT), rows, channels, gamma, beta, x_zp, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min, act_max, y,     \
                   sizeof(YT));                                                                                  \
  }
IG_FOR_2(IG_LAYERNORM_DEF)
