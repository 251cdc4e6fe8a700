/* fully_connected_dynamic (quant/ops/linear_quant.py): int16 / int32 activations quantized to int8 per row at run
 * time from the row's own range, int8 or int4 (row-pair) weights with an integer scale and offset per group.
 * Portable C without scratch memory: the quantized row is recomputed for each block of IG_DYN_BLOCK output rows
 * (each q[k] feeds IG_DYN_BLOCK multiply-accumulates). */
#include "ig_fc_rows.h"
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops_quant.h"

#define IG_DYN_BLOCK 8

static inline int32_t bitlen64(uint64_t v) {
  int32_t b = 0;
  while (v >> b) b++;
  return b;
}

static inline __attribute__((always_inline)) void fc_dyn_body(const void *x, int32_t xb, int32_t x_zp,
                                                               const int8_t *w, int32_t bits, const int32_t *bias,
                                                               const int32_t *gs, const int32_t *go,
                                                               const int32_t *mult, const int32_t *shift,
                                                               int32_t k_dim, int32_t n_dim, int32_t group_size,
                                                               int32_t y_zp, int32_t act_min, int32_t act_max,
                                                               void *y, int32_t yb) {
  /* the row's scale: r = max |x - x_zp| >= 1, mr its 15-bit mantissa, e its exponent, inv = 127 * 2^24 / mr */
  int64_t r = 1;
  for (int32_t k = 0; k < k_dim; k++) {
    int64_t c = (int64_t)ig_load(x, k, xb) - x_zp;
    if (c < 0) c = -c;
    if (c > r) r = c;
  }
  int32_t e = bitlen64((uint64_t)r) - 15;
  int32_t mr = e < 0 ? (int32_t)(r << -e) : (int32_t)ig_rshr64(r, e);
  int32_t inv = (int32_t)((127u << 24) / (uint32_t)mr);
  int32_t qshift = 24 + e;
  int32_t groups = k_dim / group_size;
  for (int32_t n0 = 0; n0 < n_dim; n0 += IG_DYN_BLOCK) {
    int32_t nb = n_dim - n0 < IG_DYN_BLOCK ? n_dim - n0 : IG_DYN_BLOCK;
    int32_t acc[IG_DYN_BLOCK] = {0};
    for (int32_t g = 0; g < groups; g++) {
      int32_t s[IG_DYN_BLOCK] = {0};
      int32_t t = 0;
      for (int32_t k = g * group_size; k < (g + 1) * group_size; k++) {
        int64_t qv = ig_rshr64(((int64_t)ig_load(x, k, xb) - x_zp) * inv, qshift);
        int32_t q = (int32_t)(qv < -127 ? -127 : (qv > 127 ? 127 : qv));
        t += q;
        for (int32_t j = 0; j < nb; j++) s[j] = ig_wadd(s[j], q * ig_weight_at(w, bits, n0 + j, k, k_dim));
      }
      for (int32_t j = 0; j < nb; j++) {
        size_t gi = (size_t)(n0 + j) * (size_t)groups + (size_t)g;
        acc[j] = ig_wadd(acc[j], ig_wadd(ig_wmul(s[j], gs[gi]), ig_wmul(t, go[gi])));
      }
    }
    for (int32_t j = 0; j < nb; j++) {
      int32_t n = n0 + j;
      int64_t m = ig_rshr64((int64_t)mult[n] * mr, 15);
      int64_t v = ig_rshr64((int64_t)acc[j] * m, shift[n] - e) + bias[n] + y_zp;
      ig_store(y, n, (int32_t)(v < act_min ? act_min : (v > act_max ? act_max : v)), yb);
    }
  }
}

#define IG_FC_DYNAMIC_DEF(D_, X, XT, Y, YT)                                                                       \
  IG_WEAK void ig_fc_dynamic_##X##_##Y(const XT *x, int32_t x_zp, const int8_t *w, int32_t weight_bits,         \
                                       const int32_t *bias, const int32_t *group_scale,                          \
                                       const int32_t *group_offset, const int32_t *mult, const int32_t *shift,   \
                                       int32_t k_dim, int32_t n_dim, int32_t group_size, int32_t y_zp,            \
                                       int32_t act_min, int32_t act_max, YT *y) {                                 \
    fc_dyn_body(x, sizeof(XT), x_zp, w, weight_bits, bias, group_scale, group_offset, mult, shift, k_dim, n_dim, \
                group_size, y_zp, act_min, act_max, y, sizeof(YT));                                               \
  }
#define IG__FC_DYNAMIC_DEF_B(D_, X, XT) IG_FOR_B(IG_FC_DYNAMIC_DEF, D_, X, XT)
IG__FC_DYNAMIC_DEF_B(_, s16, int16_t)
IG__FC_DYNAMIC_DEF_B(_, s32, int32_t)
