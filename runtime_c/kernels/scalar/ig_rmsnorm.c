/* rmsnorm (quant/ops/norm.py): sum of squares per row, floor square root, one exact division per element by the
 * row's root (a reciprocal per row, ig_round_div_by). */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

#define IG_RMS_C_MAX ((1ll << 24) - 1)

static inline __attribute__((always_inline)) int64_t rms_c(const void *x, int32_t i, int32_t xb, int32_t x_zp,
                                                            int32_t pre_shift) {
  return ig_clamp64(ig_rshr64((int64_t)ig_load(x, i, xb) - x_zp, pre_shift), -IG_RMS_C_MAX, IG_RMS_C_MAX);
}

static inline __attribute__((always_inline)) void rmsnorm_body(const void *x, int32_t xb, int32_t rows,
                                                                int32_t channels, const int32_t *gamma, int32_t x_zp,
                                                                int32_t pre_shift, int64_t eps, int32_t shift,
                                                                int32_t y_zp, int32_t act_min, int32_t act_max,
                                                                void *y, int32_t yb) {
  for (int32_t r = 0; r < rows; r++) {
    int32_t base = r * channels;
    uint64_t ss = (uint64_t)eps;
    for (int32_t i = 0; i < channels; i++) {
      int64_t c = rms_c(x, base + i, xb, x_zp, pre_shift);
      ss += (uint64_t)(c * c);
    }
    int64_t root = ig_isqrt64((int64_t)ss);
    ig_divisor_t div = ig_divisor((uint64_t)(root > 1 ? root : 1));
    for (int32_t i = 0; i < channels; i++) {
      int64_t n = ig_round_div_by(rms_c(x, base + i, xb, x_zp, pre_shift) * (1ll << 20), div);
      int64_t v = ig_rshr64(n * gamma[i], shift) + y_zp;
      ig_store(y, base + i, (int32_t)ig_clamp64(v, act_min, act_max), yb);
    }
  }
}

#define IG_RMSNORM_DEF(D_, X, XT, Y, YT)                                                                          \
  IG_WEAK void ig_rmsnorm_##X##_##Y(const XT *x, int32_t rows, int32_t channels, const int32_t *gamma, int32_t x_zp,     \
                            int32_t pre_shift, int32_t eps_hi, uint32_t eps_lo, int32_t shift, int32_t y_zp, int32_t act_min,        \
                            int32_t act_max, YT *y) {                                                            \
    rmsnorm_body(x, sizeof(XT), rows, channels, gamma, x_zp, pre_shift, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min, act_max, y,  \
                 sizeof(YT));                                                                                    \
  }
IG_FOR_2(IG_RMSNORM_DEF)
