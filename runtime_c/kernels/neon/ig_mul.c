/* mul with rescale for AArch64 NEON.
 * Where |(a - za)(b - zb)| < 2^31 (int8 / int16 inputs; checked once per call), P = (a - za)(b - zb) is one MUL
 * per four lanes (int16 inputs with zero points 0: SMULL from the loaded halves). rshr(P mult, shift) is then
 * the two-instruction form of ig_neon_ms_plan when it fits (and the result plus y_zp stays inside int32), else
 * SMULL(2) + SRSHL by -shift + y_zp added in int64, SQXTN (exact for every multiplier and shift, saturated to
 * int32); then clamp (a saturating narrowing when the clamp is the output type's range), store.
 * Otherwise the portable int64 loop. */
#include "ig_neon_ops.h"
#include "ig_ops.h"

/* eight products (a - za)(b - zb) as two int32x4 (z0: int16 inputs, zero points 0) */
IG_NI void mul_p8(const void *a, int32_t ab, const void *b, int32_t bb, int32_t i, int32x4_t za, int32x4_t zb, int z0,
                  int32x4_t *p0, int32x4_t *p1) {
  if (z0) {
    int16x8_t va = vld1q_s16((const int16_t *)a + i), vb = vld1q_s16((const int16_t *)b + i);
    *p0 = vmull_s16(vget_low_s16(va), vget_low_s16(vb));
    *p1 = vmull_high_s16(va, vb);
    return;
  }
  int32x4_t a0, a1, b0, b1;
  ig_neon_load8(a, i, ab, &a0, &a1);
  ig_neon_load8(b, i, bb, &b0, &b1);
  *p0 = vmulq_s32(vsubq_s32(a0, za), vsubq_s32(b0, zb));
  *p1 = vmulq_s32(vsubq_s32(a1, za), vsubq_s32(b1, zb));
}

/* the elements [0, len - len % 8) by the two-instruction rescale (floor: its mode; full: the clamp is the output
 * type's range); returns len - len % 8 */
IG_NI int32_t mul_loop_ms(const void *a, int32_t ab, const void *b, int32_t bb, int32_t len, int32_t a_zp,
                          int32_t b_zp, const ig_neon_ms_t *ms, int floor, int z0, int full, int32_t y_zp,
                          int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  int32x4_t za = vdupq_n_s32(a_zp), zb = vdupq_n_s32(b_zp), zy = vdupq_n_s32(y_zp);
  int32x4_t lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max);
  int32_t i = 0;
  for (; i + 8 <= len; i += 8) {
    int32x4_t p0, p1;
    mul_p8(a, ab, b, bb, i, za, zb, z0, &p0, &p1);
    int32x4_t v0 = vaddq_s32(ig_neon_ms_apply(p0, ms, floor), zy);
    int32x4_t v1 = vaddq_s32(ig_neon_ms_apply(p1, ms, floor), zy);
    if (full) ig_neon_store8_sat(y, i, v0, v1, yb);
    else ig_neon_store8(y, i, ig_neon_clamp(v0, lo, hi), ig_neon_clamp(v1, lo, hi), yb);
  }
  return i;
}

IG_NI void mul_body(const void *a, int32_t ab, const void *b, int32_t bb, int32_t len, int32_t a_zp, int32_t b_zp,
                    int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                    int32_t yb) {
  uint64_t ra = (1ull << (8 * ab - 1)) + (uint64_t)(a_zp < 0 ? -(int64_t)a_zp : a_zp);
  uint64_t rb = (1ull << (8 * bb - 1)) + (uint64_t)(b_zp < 0 ? -(int64_t)b_zp : b_zp);
  int32_t i = 0;
  if (ab < 4 && bb < 4 && ra * rb < (1ull << 31)) {
    ig_neon_ms_t ms = ig_neon_ms_plan(mult, shift, (uint32_t)(ra * rb));
    int fits = ms.ok && y_zp > -(1 << 30) && y_zp < (1 << 30) && ((ra * rb * (uint32_t)mult) >> shift) + 1 < (1u << 30);
    int z0 = ab == 2 && bb == 2 && a_zp == 0 && b_zp == 0, full = ig_full_range(act_min, act_max, yb);
    if (fits && z0 && full)
      i = ms.floor ? mul_loop_ms(a, ab, b, bb, len, a_zp, b_zp, &ms, 1, 1, 1, y_zp, act_min, act_max, y, yb)
                   : mul_loop_ms(a, ab, b, bb, len, a_zp, b_zp, &ms, 0, 1, 1, y_zp, act_min, act_max, y, yb);
    else if (fits)
      i = ms.floor ? mul_loop_ms(a, ab, b, bb, len, a_zp, b_zp, &ms, 1, 0, 0, y_zp, act_min, act_max, y, yb)
                   : mul_loop_ms(a, ab, b, bb, len, a_zp, b_zp, &ms, 0, 0, 0, y_zp, act_min, act_max, y, yb);
    else {
      int32x4_t za = vdupq_n_s32(a_zp), zb = vdupq_n_s32(b_zp);
      int64x2_t zy64 = vdupq_n_s64(y_zp);
      int32x4_t lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max);
      int64x2_t nsh = vdupq_n_s64(-shift);
      for (; i + 8 <= len; i += 8) {
        int32x4_t p0, p1;
        mul_p8(a, ab, b, bb, i, za, zb, 0, &p0, &p1);
        int32x4_t v0 = ig_neon_mul_rshr_zp_sat(p0, mult, nsh, zy64);
        int32x4_t v1 = ig_neon_mul_rshr_zp_sat(p1, mult, nsh, zy64);
        ig_neon_store8(y, i, ig_neon_clamp(v0, lo, hi), ig_neon_clamp(v1, lo, hi), yb);
      }
    }
  }
  for (; i < len; i++) {
    int64_t prod = ((int64_t)ig_load(a, i, ab) - a_zp) * ((int64_t)ig_load(b, i, bb) - b_zp);
    ig_store(y, i, (int32_t)ig_clamp64(ig_mul_rshr64(prod, mult, shift) + y_zp, act_min, act_max), yb);
  }
}

#define IG_ENTRIES_MUL
#include "ig_entry_points.h"
