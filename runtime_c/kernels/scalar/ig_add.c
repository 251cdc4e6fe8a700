/* add with rescale (quant/ops/elementwise.py): int64 products and sum, floor-rounding shift, saturation.
 *
 * Portable form: the zero points, the rounding half and (where the sum stays inside int64) y_zp are one constant,
 *     acc = a am + b bm + K,  K = 2^(shift-1) - za am - zb bm (+ y_zp 2^shift),  y = clamp(acc >> shift)
 * (acc equals the definition's sum plus those terms, so the floor shift gives rshr(.) (+ y_zp) exactly; the sum is
 * formed modulo 2^64, its true value fits int64). On 32-bit cores the two products accumulate into a 64-bit pair
 * (SMLAL / MUL+MULH) and the shift works on the two 32-bit halves: shift >= 32 is the high word shifted; below 32,
 * (lo >> shift) | (hi << (32 - shift)) when the result is known (once per call) to fit int32, else with a check
 * that the high half is the sign of the low one (saturating otherwise). */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

enum { ADD_SHR64 = 0, ADD_HI = 1, ADD_NARROW = 2, ADD_WIDE = 3 };

static inline __attribute__((always_inline)) void add_loop(const void *a, int32_t ab, const void *b, int32_t bb,
                                                            int32_t len, int32_t am, int32_t bm, int64_t k,
                                                            int32_t shift, int32_t zp_after, int32_t lo, int32_t hi,
                                                            void *y, int32_t yb, int32_t mode, int32_t full) {
  if (full) { /* the output type's own range: constant bounds (a saturate instruction where there is one) */
    lo = yb == 1 ? -128 : yb == 2 ? -32768 : INT32_MIN;
    hi = yb == 1 ? 127 : yb == 2 ? 32767 : INT32_MAX;
  }
  for (int32_t i = 0; i < len; i++) {
    int64_t acc = k + (int64_t)ig_load(a, i, ab) * am + (int64_t)ig_load(b, i, bb) * bm;
    int32_t v;
    if (mode == ADD_SHR64) {
      int64_t w = (acc >> shift) + zp_after;
      v = (int32_t)(w < lo ? lo : (w > hi ? hi : w));
    } else {
      uint32_t l = (uint32_t)acc;
      int32_t h = (int32_t)(acc >> 32);
      if (mode == ADD_HI) {
        v = h >> (shift - 32);
      } else if (mode == ADD_NARROW) {
        v = (int32_t)((l >> shift) | ((uint32_t)h << (32 - shift)));
      } else { /* ADD_WIDE: shift < 32, the result may leave int32 */
        uint32_t lw = shift ? (l >> shift) | ((uint32_t)h << (32 - shift)) : l;
        int32_t hw = shift ? h >> shift : h;
        v = (int32_t)lw;
        if (hw != (v >> 31)) v = hw < 0 ? INT32_MIN : INT32_MAX;
      }
      v = ig_clamp(v, lo, hi);
      (void)zp_after;
    }
    ig_store(y, i, v, yb);
  }
}

typedef struct {
  int64_t k;
  uint64_t bound;
  int32_t fold;
} add_const_t;

/* Once per call, apart (noinline) so that the compiler cannot merge the 64-bit conversions of the multipliers here
 * with the loop's, which would turn the loop's 32 x 32 products into 64 x 64 ones on 32-bit cores. */
static __attribute__((noinline)) add_const_t add_const(int32_t ab, int32_t bb, int32_t a_zp, int32_t b_zp,
                                                       int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp) {
  add_const_t c;
  /* |acc| bound: |x - zp| < 2^bits, each product below 2^61 (quant/ops/checks.py) */
  uint64_t half = shift ? 1ull << (shift - 1) : 0;
  c.bound = ((1ull << (8 * ab)) - 1) * (uint64_t)a_mult + ((1ull << (8 * bb)) - 1) * (uint64_t)b_mult + half;
  uint64_t k = half - (uint64_t)((int64_t)a_zp * a_mult) - (uint64_t)((int64_t)b_zp * b_mult);
  /* y_zp joins the constant when y_zp 2^shift keeps the sum inside int64 */
  c.fold = y_zp == 0 || (shift <= 30 && c.bound < (1ull << 62));
  if (c.fold) k += (uint64_t)((int64_t)y_zp * (int64_t)(1ull << shift));
  c.k = (int64_t)k;
  return c;
}

static inline __attribute__((always_inline)) void add_body(const void *a, int32_t ab, const void *b, int32_t bb,
                                                            int32_t len, int32_t a_zp, int32_t b_zp, int32_t a_mult,
                                                            int32_t b_mult, int32_t shift, int32_t y_zp,
                                                            int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  add_const_t c = add_const(ab, bb, a_zp, b_zp, a_mult, b_mult, shift, y_zp);
#if UINTPTR_MAX == 0xffffffffu
  if (c.fold && ig_full_range(act_min, act_max, yb)) {
    uint64_t ymax = (c.bound >> shift) + 1 + (uint64_t)(y_zp < 0 ? -(int64_t)y_zp : y_zp);
    if (shift >= 32)
      add_loop(a, ab, b, bb, len, a_mult, b_mult, c.k, shift, 0, act_min, act_max, y, yb, ADD_HI, 1);
    else if (shift > 0 && ymax < (1ull << 31))
      add_loop(a, ab, b, bb, len, a_mult, b_mult, c.k, shift, 0, act_min, act_max, y, yb, ADD_NARROW, 1);
    else
      add_loop(a, ab, b, bb, len, a_mult, b_mult, c.k, shift, 0, act_min, act_max, y, yb, ADD_WIDE, 1);
    return;
  }
  if (c.fold) {
    uint64_t ymax = (c.bound >> shift) + 1 + (uint64_t)(y_zp < 0 ? -(int64_t)y_zp : y_zp);
    if (shift >= 32)
      add_loop(a, ab, b, bb, len, a_mult, b_mult, c.k, shift, 0, act_min, act_max, y, yb, ADD_HI, 0);
    else if (shift > 0 && ymax < (1ull << 31))
      add_loop(a, ab, b, bb, len, a_mult, b_mult, c.k, shift, 0, act_min, act_max, y, yb, ADD_NARROW, 0);
    else
      add_loop(a, ab, b, bb, len, a_mult, b_mult, c.k, shift, 0, act_min, act_max, y, yb, ADD_WIDE, 0);
    return;
  }
#endif
  add_loop(a, ab, b, bb, len, a_mult, b_mult, c.k, shift, c.fold ? 0 : y_zp, act_min, act_max, y, yb, ADD_SHR64, 0);
}

#define IG_PORTABLE 1
#define IG_ENTRIES_ADD
#include "ig_entry_points.h"
