/* rope for AArch64 NEON: eight rotation pairs at a time.
 * a = x[i] - zp and b = x[i + d/2] - zp as int16 lanes (|.| <= 255), lo = a cos - b sin and hi = b cos + a sin
 * by SMULL + SMLSL / SMLAL (int32, exact), requantized with SQRDMULH (ig_neon_requant4), narrowing stores. The
 * last (head_dim / 2) % 8 pairs are per element. */
#include "ig_neon_ops.h"
#include "ig_ops.h"
#include "ig_rope.h"

typedef struct {
  ig_neon_rq_t rq;
  int16x8_t zp;
  int32_t h8, x_zp, mult, shift, y_zp, act_min, act_max, yb;
  void *y;
} rope_state;

IG_NI void rope_head(IG_ROPE_HEAD_ARGS) {
  const rope_state *k = state;
  void *y = k->y;
  int32_t yb = k->yb, i = 0;
  for (; i < k->h8; i += 8) {
    int16x8_t a = vsubq_s16(vmovl_s8(vld1_s8(xa + i)), k->zp), b = vsubq_s16(vmovl_s8(vld1_s8(xb + i)), k->zp);
    int16x8_t cv = vld1q_s16(c + i), sv = vld1q_s16(s + i);
    int32x4_t lo0 = vmlsl_s16(vmull_s16(vget_low_s16(a), vget_low_s16(cv)), vget_low_s16(b), vget_low_s16(sv));
    int32x4_t lo1 = vmlsl_high_s16(vmull_high_s16(a, cv), b, sv);
    int32x4_t hi0 = vmlal_s16(vmull_s16(vget_low_s16(b), vget_low_s16(cv)), vget_low_s16(a), vget_low_s16(sv));
    int32x4_t hi1 = vmlal_high_s16(vmull_high_s16(b, cv), a, sv);
    ig_neon_store8(y, base + i, ig_neon_rq4(lo0, &k->rq), ig_neon_rq4(lo1, &k->rq), yb);
    ig_neon_store8(y, base + half + i, ig_neon_rq4(hi0, &k->rq), ig_neon_rq4(hi1, &k->rq), yb);
  }
  for (; i < half; i++) {
    ig_rope_pair_t v = ig_rope_pair(xa, xb, c, s, i, k->x_zp);
    ig_store(y, base + i, ig_output_i32(v.lo, k->mult, k->shift, k->y_zp, k->act_min, k->act_max), yb);
    ig_store(y, base + i + half, ig_output_i32(v.hi, k->mult, k->shift, k->y_zp, k->act_min, k->act_max), yb);
  }
}

IG_NI int32_t rope_body(const int8_t *x, int32_t rows, const int32_t *positions, const int16_t *cos_t,
                        const int16_t *sin_t, int32_t n_positions, int32_t heads, int32_t head_dim, int32_t x_zp,
                        int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                        int32_t yb) {
  rope_state k = {ig_neon_rq(mult, shift, y_zp, act_min, act_max), vdupq_n_s16((int16_t)x_zp), (head_dim / 2) & ~7,
                  x_zp, mult, shift, y_zp, act_min, act_max, yb, y};
  return ig_rope_rows(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, &k, rope_head);
}

#define IG_ENTRIES_ROPE
#include "ig_entry_points.h"
