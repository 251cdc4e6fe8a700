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

/* four outputs of d = x - x_zp, clamped (fin, fout: the plans' modes as constants) */
IG_NI int32x4_t silu4(int32x4_t d, const ig_neon_ms_t *mi, int fin, const ig_neon_ms_t *mo, int fout, int32x4_t zy,
                      int32x4_t lo, int32x4_t hi) {
  int32x4_t f = ig_neon_silu_f(ig_neon_ms_apply(d, mi, fin));
  return ig_neon_clamp(vaddq_s32(ig_neon_ms_apply(f, mo, fout), zy), lo, hi);
}

/* the elements [0, len - len % 4); returns len - len % 4 */
IG_NI int32_t silu_loop(const void *x, int32_t xb, int32_t len, int32_t x_zp, const ig_neon_ms_t *mi, int fin,
                        const ig_neon_ms_t *mo, int fout, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                        int32_t yb) {
  int32x4_t zx = vdupq_n_s32(x_zp), zy = vdupq_n_s32(y_zp), lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max);
  int32_t i = 0;
  for (; i + 8 <= len; i += 8) {
    int32x4_t x0, x1;
    ig_neon_load8(x, i, xb, &x0, &x1);
    int32x4_t v0 = silu4(vsubq_s32(x0, zx), mi, fin, mo, fout, zy, lo, hi);
    int32x4_t v1 = silu4(vsubq_s32(x1, zx), mi, fin, mo, fout, zy, lo, hi);
    ig_neon_store8(y, i, v0, v1, yb);
  }
  if (i + 4 <= len) {
    ig_neon_store4(y, i, silu4(vsubq_s32(ig_neon_load4(x, i, xb), zx), mi, fin, mo, fout, zy, lo, hi), yb);
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
  int32_t i;
  if (!mi.floor && !mo.floor)
    i = silu_loop(x, xb, len, x_zp, &mi, 0, &mo, 0, y_zp, act_min, act_max, y, yb);
  else if (!mi.floor)
    i = silu_loop(x, xb, len, x_zp, &mi, 0, &mo, 1, y_zp, act_min, act_max, y, yb);
  else if (!mo.floor)
    i = silu_loop(x, xb, len, x_zp, &mi, 1, &mo, 0, y_zp, act_min, act_max, y, yb);
  else
    i = silu_loop(x, xb, len, x_zp, &mi, 1, &mo, 1, y_zp, act_min, act_max, y, yb);
  ig_gated_act64(x, xb, i, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, yb, 0);
}

#define IG_GATED_BODY silu_neon
#define IG_ENTRIES_SILU
#include "ig_entry_points.h"
