/* softmax (quant/ops/attention.py): max-subtracted base-2 exponent in Q16, exp2 in Q20, one division per row,
 * then Q15 (int16) or 2^-8 with zero point -128 (int8) probabilities. */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

static inline __attribute__((always_inline)) void softmax_body(const void *x, int32_t xb, int32_t groups, int32_t t,
                                                                int32_t s, int32_t causal, int32_t in_mult,
                                                                int32_t in_shift, void *y, int32_t yb) {
  for (int32_t g = 0; g < groups; g++) {
    for (int32_t i = 0; i < t; i++) {
      int32_t base = (g * t + i) * s;
      int32_t valid = causal ? s - t + i + 1 : s; /* j < valid */
      if (valid > s) valid = s;
      int32_t mx = INT32_MIN;
      for (int32_t j = 0; j < valid; j++) {
        int32_t v = ig_load(x, base + j, xb);
        if (v > mx) mx = v;
      }
      uint64_t sum = 0;
      for (int32_t j = 0; j < valid; j++) {
        int64_t e = ig_exp2_q20(ig_mul_rshr64((int64_t)ig_load(x, base + j, xb) - mx, in_mult, in_shift));
        sum += (uint64_t)e;
      }
      uint64_t r = sum ? (1ull << 52) / sum : 0; /* sum >= 2^20 when a row has a valid element */
      for (int32_t j = 0; j < s; j++) {
        int64_t e = j < valid ? ig_exp2_q20(ig_mul_rshr64((int64_t)ig_load(x, base + j, xb) - mx, in_mult,
                                                          in_shift))
                              : 0;
        int64_t p;
        if (yb == 2) {
          p = ig_rshr64((int64_t)((uint64_t)e * r), 37);
          if (p > 32767) p = 32767;
        } else {
          p = ig_clamp64(ig_rshr64((int64_t)((uint64_t)e * r), 44) - 128, -128, 127);
        }
        ig_store(y, base + j, (int32_t)p, yb);
      }
    }
  }
}

#define IG_SOFTMAX_DEF(D_, X, XT, Y, YT)                                                                          \
  IG_WEAK void ig_softmax_##X##_##Y(const XT *x, int32_t groups, int32_t t, int32_t s, int32_t causal, int32_t in_mult,  \
                            int32_t in_shift, YT *y) {                                                          \
    softmax_body(x, sizeof(XT), groups, t, s, causal, in_mult, in_shift, y, sizeof(YT));                        \
  }
#define IG__SOFTMAX_DEF_B(M, X, XT) IG_FOR_NARROW_B(IG_SOFTMAX_DEF, M, X, XT)
IG_FOR_NARROW(IG__SOFTMAX_DEF_B, _)
