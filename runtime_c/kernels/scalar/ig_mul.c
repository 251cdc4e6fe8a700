/* mul with rescale (quant/ops/elementwise.py): the three-factor product in int64.
 *
 * Portable form: where |(a - za)(b - zb)| < 2^31 (checked once per call from the input widths and zero points,
 * true of int16 x int16 with zero points 0, the SiLU-gated MLP's product), P = (a - za)(b - zb) is one 32-bit
 * product and rshr(P mult, shift) is one 32 x 32 multiply in the ig_ms_t form (shift >= 33: the high word of P mult
 * plus 2^(shift-33), shifted; else the rounded high word of (P << a)(mult << b)); the result and y_zp stay in int32.
 * Otherwise the int64 definition as written. */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

static inline __attribute__((always_inline)) void mul_loop(const void *a, int32_t ab, const void *b, int32_t bb,
                                                            int32_t len, int32_t a_zp, int32_t b_zp, ig_ms_t ms,
                                                            int32_t mode, int32_t y_zp, int32_t lo, int32_t hi,
                                                            void *y, int32_t yb) {
  for (int32_t i = 0; i < len; i++) {
    int32_t p = (ig_load(a, i, ab) - a_zp) * (ig_load(b, i, bb) - b_zp);
    ig_store(y, i, ig_clamp(ig_ms_apply(ms, p, mode) + y_zp, lo, hi), yb);
  }
}

static inline __attribute__((always_inline)) void mul_body(const void *a, int32_t ab, const void *b, int32_t bb,
                                                            int32_t len, int32_t a_zp, int32_t b_zp, int32_t mult,
                                                            int32_t shift, int32_t y_zp, int32_t act_min,
                                                            int32_t act_max, void *y, int32_t yb) {
  /* |a - za| <= 2^(bits-1) + |za| */
  uint64_t ra = (1ull << (8 * ab - 1)) + (uint64_t)(a_zp < 0 ? -(int64_t)a_zp : a_zp);
  uint64_t rb = (1ull << (8 * bb - 1)) + (uint64_t)(b_zp < 0 ? -(int64_t)b_zp : b_zp);
  if (ab < 4 && bb < 4 && ra * rb < (1ull << 31) && y_zp > -(1 << 30) && y_zp < (1 << 30)) {
    ig_ms_t ms = ig_ms_prepare(mult, shift, (uint32_t)(ra * rb));
    if (ms.mode == IG_MS_FLOOR && a_zp == 0 && b_zp == 0) { /* the quantizer's symmetric int16 inputs */
      mul_loop(a, ab, b, bb, len, 0, 0, ms, IG_MS_FLOOR, y_zp, act_min, act_max, y, yb);
      return;
    }
    if (ms.mode == IG_MS_FLOOR) {
      mul_loop(a, ab, b, bb, len, a_zp, b_zp, ms, IG_MS_FLOOR, y_zp, act_min, act_max, y, yb);
      return;
    }
    if (ms.mode == IG_MS_HR) {
      mul_loop(a, ab, b, bb, len, a_zp, b_zp, ms, IG_MS_HR, y_zp, act_min, act_max, y, yb);
      return;
    }
  }
  for (int32_t i = 0; i < len; i++) {
    int64_t prod = ((int64_t)ig_load(a, i, ab) - a_zp) * ((int64_t)ig_load(b, i, bb) - b_zp);
    ig_store(y, i, (int32_t)ig_clamp64(ig_mul_rshr64(prod, mult, shift) + y_zp, act_min, act_max), yb);
  }
}

#define IG_PORTABLE 1
#define IG_ENTRIES_MUL
#include "ig_entry_points.h"
