/* rope for AArch64 NEON: eight rotation pairs at a time.
 * a = x[i] - zp and b = x[i + d/2] - zp as int16 lanes (|.| <= 255), lo = a cos - b sin and hi = b cos + a sin
 * by SMULL + SMLSL / SMLAL (int32, exact), requantized with SQRDMULH (ig_neon_requant4), narrowing stores. The
 * last (head_dim / 2) % 8 pairs are per element. */
#include "ig_neon_ops.h"
#include "ig_ops.h"

IG_NI int32_t rope_body(const int8_t *x, int32_t rows, const int32_t *positions, const int16_t *cos_t,
                        const int16_t *sin_t, int32_t n_positions, int32_t heads, int32_t head_dim, int32_t x_zp,
                        int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                        int32_t yb) {
  int32_t half = head_dim / 2, width = heads * head_dim, h8 = half & ~7;
  ig_neon_rq_t rq = ig_neon_rq(mult, shift, y_zp, act_min, act_max);
  int16x8_t zp = vdupq_n_s16((int16_t)x_zp);
  for (int32_t r = 0; r < rows; r++) {
    int32_t p = positions[r];
    if (p < 0 || p >= n_positions) return 1;
    const int16_t *c = cos_t + (size_t)p * (size_t)half, *s = sin_t + (size_t)p * (size_t)half;
    for (int32_t h = 0; h < heads; h++) {
      int32_t base = r * width + h * head_dim;
      const int8_t *xa = x + base, *xb = xa + half;
      int32_t i = 0;
      for (; i < h8; i += 8) {
        int16x8_t a = vsubq_s16(vmovl_s8(vld1_s8(xa + i)), zp), b = vsubq_s16(vmovl_s8(vld1_s8(xb + i)), zp);
        int16x8_t cv = vld1q_s16(c + i), sv = vld1q_s16(s + i);
        int32x4_t lo0 = vmlsl_s16(vmull_s16(vget_low_s16(a), vget_low_s16(cv)), vget_low_s16(b), vget_low_s16(sv));
        int32x4_t lo1 = vmlsl_high_s16(vmull_high_s16(a, cv), b, sv);
        int32x4_t hi0 = vmlal_s16(vmull_s16(vget_low_s16(b), vget_low_s16(cv)), vget_low_s16(a), vget_low_s16(sv));
        int32x4_t hi1 = vmlal_high_s16(vmull_high_s16(b, cv), a, sv);
        ig_neon_store8(y, base + i, ig_neon_rq4(lo0, &rq), ig_neon_rq4(lo1, &rq), yb);
        ig_neon_store8(y, base + half + i, ig_neon_rq4(hi0, &rq), ig_neon_rq4(hi1, &rq), yb);
      }
      for (; i < half; i++) {
        int32_t a = xa[i] - x_zp, b = xb[i] - x_zp, ci = c[i], si = s[i];
        ig_store(y, base + i, ig_output_i32(a * ci - b * si, mult, shift, y_zp, act_min, act_max), yb);
        ig_store(y, base + i + half, ig_output_i32(b * ci + a * si, mult, shift, y_zp, act_min, act_max), yb);
      }
    }
  }
  return 0;
}

#define IG_ENTRIES_ROPE
#include "ig_entry_points.h"
