/* Fully connected with int16 activations: int8 or int4 (row-pair) weights, group-wise integer scales (per-channel
 * = one group of k_dim). The general case of fully_connected_wide (quant/ops/linear.py); portable C only. */
#include "ig_fc_rows.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

static inline __attribute__((always_inline)) void fc_s16_body(const int16_t *x, const int8_t *w, int32_t bits,
                                                               const int32_t *bias, const int32_t *gs_t,
                                                               const int32_t *mult, const int32_t *shift,
                                                               int32_t k_dim, int32_t n_dim, int32_t group_size,
                                                               int32_t y_zp, int32_t act_min, int32_t act_max,
                                                               void *y, int32_t yb) {
  int32_t groups = k_dim / group_size;
  for (int32_t n = 0; n < n_dim; n++) {
    int32_t acc = bias[n];
    for (int32_t g = 0; g < groups; g++) {
      int32_t s = 0;
      for (int32_t k = g * group_size; k < (g + 1) * group_size; k++)
        s = ig_wadd(s, ig_wmul(x[k], ig_weight_at(w, bits, n, k, k_dim)));
      acc = ig_wadd(acc, ig_wmul(s, gs_t[(size_t)g * (size_t)n_dim + (size_t)n]));
    }
    ig_store(y, n, ig_output_i32(acc, mult[n], shift[n], y_zp, act_min, act_max), yb);
  }
}

#define IG_FC_S16_DEF(D_, Y, YT)                                                                                  \
  IG_WEAK void ig_fc_grouped_s16_##Y(const int16_t *x, const int8_t *w, int32_t weight_bits, const int32_t *bias,        \
                             const int32_t *group_scale_t, const int32_t *mult, const int32_t *shift,             \
                             int32_t k_dim, int32_t n_dim, int32_t group_size, int32_t y_zp, int32_t act_min,      \
                             int32_t act_max, YT *y) {                                                          \
    fc_s16_body(x, w, weight_bits, bias, group_scale_t, mult, shift, k_dim, n_dim, group_size, y_zp, act_min,    \
                act_max, y, sizeof(YT));                                                                         \
  }
IG_FOR_A(IG_FC_S16_DEF, _)
