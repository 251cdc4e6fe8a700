/* add and mul (quant/ops/elementwise.py) as the definition writes them, int64 products and sum, for elements
 * i0 .. len - 1: what a vector family runs for the parameters its 32-bit lane forms do not cover (int32 inputs,
 * sums past int32, tiny shifts). */
#ifndef IG_BINARY64_H
#define IG_BINARY64_H
#include <stdint.h>

#include "ig_fixed64.h"
#include "ig_fixedpoint.h"

static inline void ig_add_elems64(const void *a, int32_t ab, const void *b, int32_t bb, int32_t i0, int32_t len,
                                  int32_t a_zp, int32_t b_zp, int32_t am, int32_t bm, int32_t shift, int32_t y_zp,
                                  int32_t lo, int32_t hi, void *y, int32_t yb) {
  for (int32_t i = i0; i < len; i++) {
    int64_t acc = ((int64_t)ig_load(a, i, ab) - a_zp) * am + ((int64_t)ig_load(b, i, bb) - b_zp) * bm;
    ig_store(y, i, (int32_t)ig_clamp64(ig_rshr64(acc, shift) + y_zp, lo, hi), yb);
  }
}

/* mul's 32-bit plan (the portable kernel's, and the vector families'): where |(a - za)(b - zb)| < 2^31 (int8 /
 * int16 inputs, checked once per call) and |y_zp| < 2^30, P = (a - za)(b - zb) is one 32-bit product and
 * rshr(P mult, shift) the ig_ms_t form *ms (its mode IG_MS_HR or IG_MS_FLOOR); IG_MS_WIDE: the int64 form. */
static inline int32_t ig_mul_plan(int32_t ab, int32_t bb, int32_t a_zp, int32_t b_zp, int32_t mult, int32_t shift,
                                  int32_t y_zp, ig_ms_t *ms) {
  /* |a - za| <= 2^(bits-1) + |za| */
  uint64_t ra = (1ull << (8 * ab - 1)) + (uint64_t)(a_zp < 0 ? -(int64_t)a_zp : a_zp);
  uint64_t rb = (1ull << (8 * bb - 1)) + (uint64_t)(b_zp < 0 ? -(int64_t)b_zp : b_zp);
  if (!(ab < 4 && bb < 4 && ra * rb < (1ull << 31) && y_zp > -(1 << 30) && y_zp < (1 << 30))) return IG_MS_WIDE;
  *ms = ig_ms_prepare(mult, shift, (uint32_t)(ra * rb));
  return ms->mode;
}

static inline void ig_mul_elems64(const void *a, int32_t ab, const void *b, int32_t bb, int32_t i0, int32_t len,
                                  int32_t a_zp, int32_t b_zp, int32_t mult, int32_t shift, int32_t y_zp, int32_t lo,
                                  int32_t hi, void *y, int32_t yb) {
  for (int32_t i = i0; i < len; i++) {
    int64_t prod = ((int64_t)ig_load(a, i, ab) - a_zp) * ((int64_t)ig_load(b, i, bb) - b_zp);
    ig_store(y, i, (int32_t)ig_clamp64(ig_mul_rshr64(prod, mult, shift) + y_zp, lo, hi), yb);
  }
}
#endif
