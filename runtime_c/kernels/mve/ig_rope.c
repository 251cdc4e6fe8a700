/* rope (quant/ops/rope.py) for Armv8.1-M Helium: rotate-half rotary embedding with Q14 cos / sin tables, four
 * rotation pairs per step in int32 lanes (VLDRB.S32 / VLDRH.S32 widening loads; |a c - b s| < 2^23, exact), the
 * last (head_dim / 2) % 4 pairs tail-predicated; requantization in lanes (ig_mve_requant4: the values of
 * ig_rq_apply / ig_output_i32, as the portable kernel), predicated stores. A position outside the tables returns 1
 * (the portable kernel's report). */
#include "ig_mve_common.h"
#include "ig_ops.h"

IG_INLINE int32_t rope_body(const int8_t *x, int32_t rows, const int32_t *positions, const int16_t *cos_t,
                            const int16_t *sin_t, int32_t n_positions, int32_t heads, int32_t head_dim, int32_t x_zp,
                            int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                            int32_t yb) {
  int32_t half = head_dim / 2, width = heads * head_dim;
  int32x4_t mv = vdupq_n_s32(mult), sh = vdupq_n_s32(shift), zp = vdupq_n_s32(x_zp);
  for (int32_t r = 0; r < rows; r++) {
    int32_t p = positions[r];
    if (p < 0 || p >= n_positions) return 1;
    const int16_t *c = cos_t + (size_t)p * (size_t)half, *s = sin_t + (size_t)p * (size_t)half;
    for (int32_t h = 0; h < heads; h++) {
      int32_t base = r * width + h * head_dim;
      const int8_t *xa = x + base, *xb = xa + half;
      for (int32_t i = 0; i < half; i += 4) { /* inactive lanes are computed but not stored */
        mve_pred16_t m = vctp32q((uint32_t)(half - i));
        int32x4_t a = vsubq_s32(vldrbq_z_s32(xa + i, m), zp), b = vsubq_s32(vldrbq_z_s32(xb + i, m), zp);
        int32x4_t ci = vldrhq_z_s32(c + i, m), si = vldrhq_z_s32(s + i, m);
        int32x4_t lo = vsubq_s32(vmulq_s32(a, ci), vmulq_s32(b, si));
        int32x4_t hi = vaddq_s32(vmulq_s32(b, ci), vmulq_s32(a, si));
        ig_mve_store4(y, base + i, ig_mve_requant4(lo, mv, sh, y_zp, act_min, act_max), yb, m);
        ig_mve_store4(y, base + half + i, ig_mve_requant4(hi, mv, sh, y_zp, act_min, act_max), yb, m);
      }
    }
  }
  return 0;
}

#define IG_ENTRIES_ROPE
#include "ig_entry_points.h"
