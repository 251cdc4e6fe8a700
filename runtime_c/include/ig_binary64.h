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

static inline void ig_mul_elems64(const void *a, int32_t ab, const void *b, int32_t bb, int32_t i0, int32_t len,
                                  int32_t a_zp, int32_t b_zp, int32_t mult, int32_t shift, int32_t y_zp, int32_t lo,
                                  int32_t hi, void *y, int32_t yb) {
  for (int32_t i = i0; i < len; i++) {
    int64_t prod = ((int64_t)ig_load(a, i, ab) - a_zp) * ((int64_t)ig_load(b, i, bb) - b_zp);
    ig_store(y, i, (int32_t)ig_clamp64(ig_mul_rshr64(prod, mult, shift) + y_zp, lo, hi), yb);
  }
}
#endif
