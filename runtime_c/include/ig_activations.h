/* gelu and silu (quant/ops/elementwise.py): f = x12 * sigmoid(u) in Q12, u = x12 (silu) or gelu's
 * 2 sqrt(2/pi) (x12 + 0.044715 x12^3) (tanh form through the sigmoid). The element functions every family's kernels
 * share: the definition's int64 steps (the fallback of every family and the tail of the vector ones), the 32-bit plan
 * of the input and output rescales, and the portable 32-bit loop (kernels/scalar/ig_gelu.c, ig_silu.c). */
#ifndef IG_ACTIVATIONS_H
#define IG_ACTIVATIONS_H
#include <stdint.h>

#include "ig_fixed64.h"
#include "ig_fixedpoint.h"

#define IG_ACT_INLINE static inline __attribute__((always_inline))
#define IG_GELU_C3_Q16 2930
#define IG_GELU_K_Q14 26145
#define IG_GELU_CLAMP (8ll << 12)

/* gelu's u of x12, the definition's int64 steps */
IG_ACT_INLINE int64_t ig_gelu_u64(int64_t x12) {
  int64_t xc = ig_clamp64(x12, -IG_GELU_CLAMP, IG_GELU_CLAMP);
  int64_t x3 = ig_rshr64(ig_rshr64(xc * xc, 12) * xc, 12);
  return ig_rshr64((xc + ig_rshr64(x3 * IG_GELU_C3_Q16, 16)) * IG_GELU_K_Q14, 14);
}

/* Elements i0 .. len - 1 of gelu (gelu = 1) or silu (0), int64 throughout: any input width and multiplier. */
IG_ACT_INLINE void ig_gated_act64(const void *x, int32_t xb, int32_t i0, int32_t len, int32_t x_zp, int32_t in_mult,
                                  int32_t in_shift, int32_t out_mult, int32_t out_shift, int32_t y_zp,
                                  int32_t act_min, int32_t act_max, void *y, int32_t yb, int gelu) {
  for (int32_t i = i0; i < len; i++) {
    int64_t x12 = ig_clamp64(ig_mul_rshr64((int64_t)ig_load(x, i, xb) - x_zp, in_mult, in_shift), INT32_MIN,
                             INT32_MAX);
    int64_t f = ig_rshr64(x12 * ig_sigmoid_q15(gelu ? ig_gelu_u64(x12) : x12), 15);
    ig_store(y, i, (int32_t)ig_clamp64(ig_mul_rshr64(f, out_mult, out_shift) + y_zp, act_min, act_max), yb);
  }
}

/* Elements i0 .. len - 1 of softcap (quant/ops/softcap.py), int64 throughout: z = 2 x / c in Q12, the tanh
 * 2 sigmoid(z) - 1 in Q15, the output rescale. The portable kernel, and the tails of the vector ones. */
IG_ACT_INLINE void ig_softcap64(const void *x, int32_t xb, int32_t i0, int32_t len, int32_t x_zp, int32_t in_mult,
                                int32_t in_shift, int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                int32_t act_max, void *y, int32_t yb) {
  for (int32_t i = i0; i < len; i++) {
    int64_t z = ig_clamp64(ig_mul_rshr64((int64_t)ig_load(x, i, xb) - x_zp, in_mult, in_shift), INT32_MIN,
                           INT32_MAX);
    int64_t t = 2 * ig_sigmoid_q15(z) - (1ll << 15);
    ig_store(y, i, (int32_t)ig_clamp64(ig_mul_rshr64(t, out_mult, out_shift) + y_zp, act_min, act_max), yb);
  }
}

/* The 32-bit plan (ig_ms_t, ig_fixed64.h) of the input rescale of x - x_zp and the output rescale of f
 * (|f| <= max(|x12|, f_floor)): 1 when both rescales and y_zp fit 32 bits (then *mi, *mo are set), 0 for the
 * int64 form. */
IG_ACT_INLINE int ig_gated_plan(int32_t xb, int32_t x_zp, int32_t in_mult, int32_t in_shift, int32_t out_mult,
                                int32_t out_shift, int32_t y_zp, uint32_t f_floor, ig_ms_t *mi, ig_ms_t *mo) {
  if (!(xb < 4 && y_zp > -(1 << 30) && y_zp < (1 << 30))) return 0;
  uint32_t dmax = (1u << (8 * xb - 1)) + (uint32_t)(x_zp < 0 ? -x_zp : x_zp);
  *mi = ig_ms_prepare(in_mult, in_shift, dmax);
  uint64_t fmax = (((uint64_t)dmax * (uint32_t)in_mult) >> in_shift) + 1; /* |f| <= |x12| */
  if (fmax < f_floor) fmax = f_floor;
  *mo = ig_ms_prepare(out_mult, out_shift, fmax < (1ull << 31) ? (uint32_t)fmax : 0xffffffffu);
  return fmax < (1ull << 30) && mi->mode != IG_MS_WIDE && mo->mode != IG_MS_WIDE;
}

/* LOOP(x, xb, len, x_zp, mi, in_mode, mo, out_mode, y_zp, lo, hi, y, yb, gelu) with both rescale modes as
 * constants, so each of the four copies is compiled for its pair. */
#define IG_GATED_DISPATCH(LOOP, x, xb, len, x_zp, mi, mo, y_zp, lo, hi, y, yb, gelu)                               \
  do {                                                                                                            \
    if ((mi).mode == IG_MS_HR && (mo).mode == IG_MS_HR)                                                           \
      LOOP(x, xb, len, x_zp, mi, IG_MS_HR, mo, IG_MS_HR, y_zp, lo, hi, y, yb, gelu);                              \
    else if ((mi).mode == IG_MS_HR)                                                                               \
      LOOP(x, xb, len, x_zp, mi, IG_MS_HR, mo, IG_MS_FLOOR, y_zp, lo, hi, y, yb, gelu);                           \
    else if ((mo).mode == IG_MS_HR)                                                                               \
      LOOP(x, xb, len, x_zp, mi, IG_MS_FLOOR, mo, IG_MS_HR, y_zp, lo, hi, y, yb, gelu);                           \
    else                                                                                                          \
      LOOP(x, xb, len, x_zp, mi, IG_MS_FLOOR, mo, IG_MS_FLOOR, y_zp, lo, hi, y, yb, gelu);                        \
  } while (0)

/* A family's gated activation: its 32-bit LOOP when the plan fits, else the int64 form. */
#define IG_GATED_ACT(LOOP, f_floor, x, xb, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, lo, hi, y, yb,   \
                     gelu)                                                                                        \
  do {                                                                                                            \
    ig_ms_t mi_, mo_;                                                                                             \
    if (ig_gated_plan(xb, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, f_floor, &mi_, &mo_))               \
      IG_GATED_DISPATCH(LOOP, x, xb, len, x_zp, mi_, mo_, y_zp, lo, hi, y, yb, gelu);                             \
    else                                                                                                          \
      ig_gated_act64(x, xb, 0, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, lo, hi, y, yb, gelu);     \
  } while (0)

/* gelu's u of x12 in 32 bits: the polynomial's int64 products become rounded high words of 32 x 32 products, exact
 * for the clamped |xc| <= 2^15: rshr(q xc, 12) = mulhr32(q << 12, xc << 8) (q = rshr(xc^2, 12) <= 2^18),
 * rshr(x3 2930, 16) = mulhr32(x3 << 9, 2930 << 7) (|x3| <= 2^21), rshr(w 26145, 14) = mulhr32(w << 13, 26145 << 5)
 * (|w| < 2^17). For |x12| >= 2^16, xc is clamped and |u| > 2^16 saturates the sigmoid (ig_mul_sig15). */
IG_ACT_INLINE int32_t ig_gelu_u32(int32_t x12) {
  int32_t xc = x12 < -32768 ? -32768 : (x12 > 32768 ? 32768 : x12);
#if !IG_CORE32 /* the definition's int64 steps */
  int64_t q64 = ((int64_t)xc * xc + 2048) >> 12;
  int64_t x364 = (q64 * xc + 2048) >> 12;
  int64_t w64 = xc + ((x364 * IG_GELU_C3_Q16 + 32768) >> 16);
  return (int32_t)((w64 * IG_GELU_K_Q14 + 8192) >> 14);
#endif
  int32_t q = (xc * xc + 2048) >> 12;
  int32_t x3 = ig_mulhr32(q << 12, xc * 256);
  int32_t w = xc + ig_mulhr32(x3 * 512, IG_GELU_C3_Q16 << 7);
  return ig_mulhr32(w * 8192, IG_GELU_K_Q14 << 5);
}

/* The portable 32-bit loop: x12 = mul_rshr(x - zx, in_mult, in_shift) and the output mul_rshr(f, out_mult,
 * out_shift) one 32 x 32 multiply each, the sigmoid ig_sigmoid_q15_32, rshr(x12 s, 15) ig_mul_sig15. */
IG_ACT_INLINE void ig_gated_loop32(const void *x, int32_t xb, int32_t len, int32_t x_zp, ig_ms_t mi, int32_t in_mode,
                                   ig_ms_t mo, int32_t out_mode, int32_t y_zp, int32_t lo, int32_t hi, void *y,
                                   int32_t yb, int gelu) {
  for (int32_t i = 0; i < len; i++) {
    int32_t x12 = ig_ms_apply(mi, ig_load(x, i, xb) - x_zp, in_mode);
    int32_t f = ig_mul_sig15(x12, ig_sigmoid_q15_32(gelu ? ig_gelu_u32(x12) : x12));
    ig_store(y, i, ig_clamp(ig_ms_apply(mo, f, out_mode) + y_zp, lo, hi), yb);
  }
}

/* softcap's kernel NAME on a family's 32-bit rescale MS(plan, v, mode) and sigmoid SIG(z): z and the output
 * rescale one 32 x 32 multiply each, the tanh 2 SIG(z) - 2^15 (NAME##_loop32, the LOOP of IG_GATED_DISPATCH) when
 * the plan fits (|t| <= 2^15), else the int64 form. */
#define IG_SOFTCAP_KERNEL(NAME, MS, SIG)                                                                          \
  IG_ACT_INLINE void NAME##_loop32(const void *x, int32_t xb, int32_t len, int32_t x_zp, ig_ms_t mi,              \
                                   int32_t in_mode, ig_ms_t mo, int32_t out_mode, int32_t y_zp, int32_t lo,       \
                                   int32_t hi, void *y, int32_t yb, int unused) {                                 \
    (void)unused;                                                                                                 \
    for (int32_t i = 0; i < len; i++) {                                                                           \
      int32_t t = 2 * SIG(MS(mi, ig_load(x, i, xb) - x_zp, in_mode)) - (1 << 15);                                \
      ig_store(y, i, ig_clamp(MS(mo, t, out_mode) + y_zp, lo, hi), yb);                                           \
    }                                                                                                             \
  }                                                                                                               \
  IG_ACT_INLINE void NAME(const void *x, int32_t xb, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift, \
                          int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max,    \
                          void *y, int32_t yb) {                                                                  \
    ig_ms_t mi, mo;                                                                                               \
    if (ig_gated_plan(xb, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, 1u << 15, &mi, &mo))                \
      IG_GATED_DISPATCH(NAME##_loop32, x, xb, len, x_zp, mi, mo, y_zp, act_min, act_max, y, yb, 0);               \
    else                                                                                                          \
      ig_softcap64(x, xb, 0, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, yb);   \
  }

/* The portable softcap */
IG_SOFTCAP_KERNEL(ig_softcap_portable, ig_ms_apply, ig_sigmoid_q15_32)

/* The portable kernel (kernels/scalar/): silu's |f| <= max(|x12|, 1141), since silu >= -0.2785. */
IG_ACT_INLINE void ig_gated_portable(const void *x, int32_t xb, int32_t len, int32_t x_zp, int32_t in_mult,
                                     int32_t in_shift, int32_t out_mult, int32_t out_shift, int32_t y_zp,
                                     int32_t act_min, int32_t act_max, void *y, int32_t yb, int gelu) {
  IG_GATED_ACT(ig_gated_loop32, gelu ? 0 : 1141, x, xb, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp,
               act_min, act_max, y, yb, gelu);
}
#endif
