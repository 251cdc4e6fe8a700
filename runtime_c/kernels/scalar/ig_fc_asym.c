/* fully_connected_asym (quant/ops/linear_quant.py): int8 / int16 activations, int8 or int4 (row-pair) weights on
 * each group's own grid, an integer scale AND offset per group. Portable C; the zero-point terms are in `bias`
 * (folded at code generation), so x is used as stored and all accumulation is modulo 2^32, like ig_kernels.h. */
#include "ig_fc_rows.h"
#include "ig_fixedpoint.h"
#include "ig_ops_quant.h"

static inline __attribute__((always_inline)) void fc_asym_body(const void *x, int32_t xb, const int8_t *w,
                                                                int32_t bits, const int32_t *bias,
                                                                const int32_t *gs, const int32_t *go,
                                                                const int32_t *mult, const int32_t *shift,
                                                                int32_t k_dim, int32_t n_dim, int32_t group_size,
                                                                int32_t y_zp, int32_t act_min, int32_t act_max,
                                                                void *y, int32_t yb) {
  int32_t groups = k_dim / group_size;
  for (int32_t n = 0; n < n_dim; n++) {
    int32_t acc = bias[n];
    for (int32_t g = 0; g < groups; g++) {
      int32_t s = 0, t = 0;
      for (int32_t k = g * group_size; k < (g + 1) * group_size; k++) {
        int32_t xv = ig_load(x, k, xb);
        s = ig_wadd(s, ig_wmul(xv, ig_weight_at(w, bits, n, k, k_dim)));
        t = ig_wadd(t, xv);
      }
      size_t gi = (size_t)n * (size_t)groups + (size_t)g;
      acc = ig_wadd(acc, ig_wadd(ig_wmul(s, gs[gi]), ig_wmul(t, go[gi])));
    }
    ig_store(y, n, ig_output_i32(acc, mult[n], shift[n], y_zp, act_min, act_max), yb);
  }
}

#define IG_FC_ASYM_DEF(D_, X, XT, Y, YT)                                                                          \
  IG_WEAK void ig_fc_asym_##X##_##Y(const XT *x, const int8_t *w, int32_t weight_bits, const int32_t *bias,      \
                                    const int32_t *group_scale, const int32_t *group_offset, const int32_t *mult, \
                                    const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t group_size,       \
                                    int32_t y_zp, int32_t act_min, int32_t act_max, YT *y) {                      \
    fc_asym_body(x, sizeof(XT), w, weight_bits, bias, group_scale, group_offset, mult, shift, k_dim, n_dim,      \
                 group_size, y_zp, act_min, act_max, y, sizeof(YT));                                              \
  }
#define IG__FC_ASYM_DEF_B(D_, X, XT) IG_FOR_B(IG_FC_ASYM_DEF, D_, X, XT)
IG_FOR_NARROW(IG__FC_ASYM_DEF_B, _)
