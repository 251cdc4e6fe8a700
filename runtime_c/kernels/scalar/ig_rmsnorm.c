/* rmsnorm (quant/ops/norm.py): sum of squares per row, floor square root, one exact division per element by the
 * row's root.
 *
 * Portable form: the sum of squares is one widening multiply-accumulate per element (|c| < 2^24); the division
 * n = round_div(c 2^20, r) is ig_rdiv20 (a reciprocal per row, 32-bit products, exact for |c| <= r < 2^30, which
 * holds as the sum cannot wrap: C |c|^2 + eps < 2^62); y = rshr(n gamma, shift) is one 32 x 32 multiply for
 * shift >= 22 (|n| <= 2^20): shift >= 33 the high word plus 2^(shift-33) shifted, else the rounded high word of
 * (n << (32 - shift)) gamma. Rows with r >= 2^30 and shifts below 22 take the int64 form (ig_round_div_by). */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops.h"

#define IG_RMS_C_MAX ((1ll << 24) - 1)

enum { RMS_C_GENERIC = 0, RMS_C_PLAIN = 1, RMS_C_SHIFT = 2, RMS_C_CLAMP = 3 };
enum { RMS_Y_FLOOR = 0, RMS_Y_HR = 1, RMS_Y_WIDE = 2 };

/* c = clamp(rshr(x - zp, pre_shift), +-(2^24 - 1)) */
static inline __attribute__((always_inline)) int32_t rms_c(const void *x, int32_t i, int32_t xb, int32_t x_zp,
                                                            int32_t pre_shift, int32_t cmode) {
  if (cmode == RMS_C_PLAIN) return ig_load(x, i, xb) - x_zp; /* int8 / int16, pre_shift 0: |c| < 2^17 */
  if (cmode == RMS_C_SHIFT) { /* zp 0: rshr(v, pre) = (v >> pre) + bit pre-1 of v (no overflow of v + 2^(pre-1)) */
    int32_t v = ig_load(x, i, xb);
    v = (v >> pre_shift) + ((v >> (pre_shift - 1)) & 1);
    return v < -IG_RMS_C_MAX ? -IG_RMS_C_MAX : (v > IG_RMS_C_MAX ? IG_RMS_C_MAX : v);
  }
  if (cmode == RMS_C_CLAMP) { /* int32, zp 0, pre_shift 0 */
    int32_t v = ig_load(x, i, xb);
    return v < -IG_RMS_C_MAX ? -IG_RMS_C_MAX : (v > IG_RMS_C_MAX ? IG_RMS_C_MAX : v);
  }
  return (int32_t)ig_clamp64(ig_rshr64((int64_t)ig_load(x, i, xb) - x_zp, pre_shift), -IG_RMS_C_MAX, IG_RMS_C_MAX);
}

static inline __attribute__((always_inline)) int32_t rms_y(int32_t n, int32_t g, int32_t shift, int32_t ymode) {
  if (!IG_CORE32 && ymode != RMS_Y_WIDE) return (int32_t)(((int64_t)n * g + (1ll << (shift - 1))) >> shift);
  if (ymode == RMS_Y_FLOOR) return (ig_mulh32(n, g) + (1 << (shift - 33))) >> (shift - 32);
  if (ymode == RMS_Y_HR) return ig_mulhr32(ig_shl32(n, 32 - shift), g);
  return (int32_t)ig_clamp64(ig_rshr64((int64_t)n * g, shift), INT32_MIN / 2, INT32_MAX / 2);
}

static inline __attribute__((always_inline)) void rms_rows(const void *x, int32_t xb, int32_t rows, int32_t channels,
                                                            const int32_t *gamma, int32_t x_zp, int32_t pre_shift,
                                                            int64_t eps, int32_t shift, int32_t y_zp, int32_t act_min,
                                                            int32_t act_max, void *y, int32_t yb, int32_t cmode,
                                                            int32_t ymode) {
  for (int32_t r = 0; r < rows; r++) {
    int32_t base = r * channels;
    uint64_t ss = (uint64_t)eps;
    for (int32_t i = 0; i < channels; i++) {
      int32_t c = rms_c(x, base + i, xb, x_zp, pre_shift, cmode);
      ss += (uint64_t)((int64_t)c * c);
    }
    int64_t root = ig_isqrt64((int64_t)ss);
    if (root < 1) root = 1;
    if (root < (1 << 30)) {
      ig_rdiv20_t d = ig_rdiv20_prepare((uint32_t)root);
      for (int32_t i = 0; i < channels; i++) {
        int32_t n = ig_rdiv20(rms_c(x, base + i, xb, x_zp, pre_shift, cmode), d);
        ig_store(y, base + i, ig_clamp(rms_y(n, gamma[i], shift, ymode) + y_zp, act_min, act_max), yb);
      }
    } else {
      ig_divisor_t div = ig_divisor((uint64_t)root);
      for (int32_t i = 0; i < channels; i++) {
        int64_t n = ig_round_div_by((int64_t)rms_c(x, base + i, xb, x_zp, pre_shift, cmode) * (1ll << 20), div);
        ig_store(y, base + i, ig_clamp(rms_y((int32_t)n, gamma[i], shift, ymode) + y_zp, act_min, act_max), yb);
      }
    }
  }
}

static inline __attribute__((always_inline)) void rmsnorm_body(const void *x, int32_t xb, int32_t rows,
                                                                int32_t channels, const int32_t *gamma, int32_t x_zp,
                                                                int32_t pre_shift, int64_t eps, int32_t shift,
                                                                int32_t y_zp, int32_t act_min, int32_t act_max,
                                                                void *y, int32_t yb) {
  int32_t cmode = xb < 4 && pre_shift == 0 ? RMS_C_PLAIN : xb == 4 && x_zp == 0 ? (pre_shift ? RMS_C_SHIFT : RMS_C_CLAMP)
                                                                                                  : RMS_C_GENERIC;
  /* |n| <= 2^20: the int64 form's y is below 2^51 / 2^shift; RMS_Y_WIDE clamps it to +-2^30 (far outside any
   * int8 / int16 output range, so the clamp to [act_min, act_max] gives the definition's result) */
  int32_t ymode = shift >= 33 ? RMS_Y_FLOOR : shift >= 22 ? RMS_Y_HR : RMS_Y_WIDE;
#define RMS_CALL(C, Y) rms_rows(x, xb, rows, channels, gamma, x_zp, pre_shift, eps, shift, y_zp, act_min, act_max, \
                                y, yb, C, Y)
#define RMS_CASES(C)                                                                                                \
  if (ymode == RMS_Y_FLOOR) RMS_CALL(C, RMS_Y_FLOOR);                                                               \
  else if (ymode == RMS_Y_HR) RMS_CALL(C, RMS_Y_HR);                                                                \
  else RMS_CALL(C, RMS_Y_WIDE);
  if (cmode == RMS_C_PLAIN) {
    RMS_CASES(RMS_C_PLAIN)
  } else if (cmode == RMS_C_SHIFT) {
    RMS_CASES(RMS_C_SHIFT)
  } else if (cmode == RMS_C_CLAMP) {
    RMS_CASES(RMS_C_CLAMP)
  } else {
    RMS_CASES(RMS_C_GENERIC)
  }
#undef RMS_CASES
#undef RMS_CALL
}

#define IG_PORTABLE 1
#define IG_ENTRIES_RMSNORM
#include "ig_entry_points.h"
