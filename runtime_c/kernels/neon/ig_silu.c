/* silu for AArch64 NEON. When both rescales fit the two-instruction forms (ig_neon_ms_plan) and every partial stays
 * below 2^30: x12 = mul_rshr(x - x_zp, in_mult, in_shift), f = ig_neon_silu_f(x12) (the sigmoid's exponent and
 * division in lanes, no sign or large-|x| select), mul_rshr(f, out_mult, out_shift) + y_zp, clamp; eight lanes per
 * step, the last len % 4 elements in the int64 form. Other plans take ig_neon_gated_act (any multiplier); int32
 * inputs are the portable kernel's. */
#include "ig_neon_ops.h"

/* the plans of both rescales: 1 when they fit (|x12|, |f| and the output below 2^30 with |y_zp| < 2^30) */
IG_NI int silu_plan(int32_t xb, int32_t x_zp, int32_t in_mult, int32_t in_shift, int32_t out_mult, int32_t out_shift,
                    int32_t y_zp, ig_neon_ms_t *mi, ig_neon_ms_t *mo) {
  if (!(xb < 4 && in_mult >= 0 && out_mult >= 0 && y_zp > -(1 << 30) && y_zp < (1 << 30))) return 0;
  if (in_shift < 0 || in_shift > 62 || out_shift < 0 || out_shift > 62) return 0;
  uint64_t dmax = (1ull << (8 * xb - 1)) + (uint64_t)(x_zp < 0 ? -(int64_t)x_zp : x_zp);
  uint64_t fmax = ((dmax * (uint32_t)in_mult) >> in_shift) + 1; /* |x12| <= this; |f| <= max(|x12|, 1141) */
  if (fmax < 1141) fmax = 1141;
  if (fmax >= (1u << 30) || ((fmax * (uint32_t)out_mult) >> out_shift) + 1 >= (1u << 30)) return 0;
  *mi = ig_neon_ms_plan(in_mult, in_shift, (uint32_t)dmax);
  *mo = ig_neon_ms_plan(out_mult, out_shift, (uint32_t)fmax);
  return mi->ok && mo->ok;
}

/* four outputs of x before the clamp (fin, fout: the plans' modes as constants; lean: int16 x_zp = 0, y_zp = 0, the
 * input plan SQRDMULH(x << a, m) with x << a already made by the widening load) */
IG_NI int32x4_t silu4(int32x4_t x, int32x4_t zx, const ig_neon_ms_t *mi, int fin, const ig_neon_ms_t *mo, int fout,
                      int32x4_t zy, int lean) {
  int32x4_t x12 = lean ? vqrdmulhq_s32(x, mi->m) : ig_neon_ms_apply(vsubq_s32(x, zx), mi, fin);
  int32x4_t v = ig_neon_ms_apply(ig_neon_silu_f(x12), mo, fout);
  return lean ? v : vaddq_s32(v, zy);
}

/* the elements [0, len - len % 4) (full: the clamp is the output type's range, a saturating narrowing); returns
 * len - len % 4 */
IG_NI int32_t silu_loop(const void *x, int32_t xb, int32_t len, int32_t x_zp, const ig_neon_ms_t *mi, int fin,
                        const ig_neon_ms_t *mo, int fout, int full, int lean, int32_t y_zp, int32_t act_min,
                        int32_t act_max, void *y, int32_t yb) {
  int32x4_t zx = vdupq_n_s32(x_zp), zy = vdupq_n_s32(y_zp), lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max);
  int16x8_t pa = vdupq_n_s16((int16_t)(1 << mi->a)); /* lean: x << a by SMULL from the int16 lanes */
  int32_t i = 0;
  for (; i + 8 <= len; i += 8) {
    int32x4_t x0, x1;
    if (lean) {
      int16x8_t w = vld1q_s16((const int16_t *)x + i);
      x0 = vmull_s16(vget_low_s16(w), vget_low_s16(pa));
      x1 = vmull_high_s16(w, pa);
    } else {
      ig_neon_load8(x, i, xb, &x0, &x1);
    }
    int32x4_t v0 = silu4(x0, zx, mi, fin, mo, fout, zy, lean);
    int32x4_t v1 = silu4(x1, zx, mi, fin, mo, fout, zy, lean);
    if (full) ig_neon_store8_sat(y, i, v0, v1, yb);
    else ig_neon_store8(y, i, ig_neon_clamp(v0, lo, hi), ig_neon_clamp(v1, lo, hi), yb);
  }
  if (i + 4 <= len) {
    int32x4_t x4 = lean ? vmull_s16(vld1_s16((const int16_t *)x + i), vget_low_s16(pa)) : ig_neon_load4(x, i, xb);
    int32x4_t v = silu4(x4, zx, mi, fin, mo, fout, zy, lean);
    ig_neon_store4(y, i, ig_neon_clamp(v, lo, hi), yb);
    i += 4;
  }
  return i;
}

IG_NI void silu_neon(const void *x, int32_t xb, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                     int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                     int32_t yb, int gelu) {
  ig_neon_ms_t mi, mo;
  if (!silu_plan(xb, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, &mi, &mo)) {
    ig_neon_gated_act(x, xb, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, yb, gelu);
    return;
  }
  int32_t i, full = ig_full_range(act_min, act_max, yb);
#define SILU_LOOP(fin, fout)                                                                                      \
  (full ? silu_loop(x, xb, len, x_zp, &mi, fin, &mo, fout, 1, 0, y_zp, act_min, act_max, y, yb)                    \
        : silu_loop(x, xb, len, x_zp, &mi, fin, &mo, fout, 0, 0, y_zp, act_min, act_max, y, yb))
#define SILU_LEAN(fout) silu_loop(x, xb, len, 0, &mi, 0, &mo, fout, 1, 1, 0, act_min, act_max, y, yb)
  if (xb == 2 && full && x_zp == 0 && y_zp == 0 && !mi.floor && mi.a <= 14) /* symmetric int16 (Llama's MLP) */
    i = mo.floor ? SILU_LEAN(1) : SILU_LEAN(0);
  else if (!mi.floor)
    i = mo.floor ? SILU_LOOP(0, 1) : SILU_LOOP(0, 0);
  else
    i = mo.floor ? SILU_LOOP(1, 1) : SILU_LOOP(1, 0);
#undef SILU_LOOP
#undef SILU_LEAN
  ig_gated_act64(x, xb, i, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, yb, 0);
}

#define IG_GATED_BODY silu_neon
#define IG_ENTRIES_SILU
#include "ig_entry_points.h"
