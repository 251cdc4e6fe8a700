/* rope for AArch64 NEON: eight rotation pairs at a time.
 * a = x[i] - zp and b = x[i + d/2] - zp as int16 lanes (|.| <= 255), lo = a cos - b sin and hi = b cos + a sin
 * by SMULL + SMLSL / SMLAL (int32, exact), requantized with SQRDMULH (ig_neon_requant4), narrowing stores. The
 * last (head_dim / 2) % 8 pairs are per element. */
#include "ig_neon_ops.h"
#include "ig_ops.h"

typedef struct {
  ig_neon_rq_t rq;
  int16x8_t zp;
  int32_t x_zp, mult, shift, y_zp, act_min, act_max;
} rope_ctx_t;

IG_NI void rope_head(const rope_ctx_t *ctx, const int8_t *xa, const int8_t *xb, const int16_t *c, const int16_t *s,
                     int32_t base, int32_t half, void *y, int32_t yb, int32_t mode) {
  (void)mode;
  int32_t i = 0;
  for (; i < (half & ~7); i += 8) {
    int16x8_t a = vsubq_s16(vmovl_s8(vld1_s8(xa + i)), ctx->zp), b = vsubq_s16(vmovl_s8(vld1_s8(xb + i)), ctx->zp);
    int16x8_t cv = vld1q_s16(c + i), sv = vld1q_s16(s + i);
    int32x4_t lo0 = vmlsl_s16(vmull_s16(vget_low_s16(a), vget_low_s16(cv)), vget_low_s16(b), vget_low_s16(sv));
    int32x4_t lo1 = vmlsl_high_s16(vmull_high_s16(a, cv), b, sv);
    int32x4_t hi0 = vmlal_s16(vmull_s16(vget_low_s16(b), vget_low_s16(cv)), vget_low_s16(a), vget_low_s16(sv));
    int32x4_t hi1 = vmlal_high_s16(vmull_high_s16(b, cv), a, sv);
    ig_neon_store8(y, base + i, ig_neon_rq4(lo0, &ctx->rq), ig_neon_rq4(lo1, &ctx->rq), yb);
    ig_neon_store8(y, base + half + i, ig_neon_rq4(hi0, &ctx->rq), ig_neon_rq4(hi1, &ctx->rq), yb);
  }
  for (; i < half; i++) {
    int32_t a = xa[i] - ctx->x_zp, b = xb[i] - ctx->x_zp, ci = c[i], si = s[i];
    ig_store(y, base + i, ig_output_i32(a * ci - b * si, ctx->mult, ctx->shift, ctx->y_zp, ctx->act_min, ctx->act_max),
             yb);
    ig_store(y, base + i + half,
             ig_output_i32(b * ci + a * si, ctx->mult, ctx->shift, ctx->y_zp, ctx->act_min, ctx->act_max), yb);
  }
}
#include "ig_rope_rows.h"

IG_NI int32_t rope_body(const int8_t *x, int32_t rows, const int32_t *positions, const int16_t *cos_t,
                        const int16_t *sin_t, int32_t n_positions, int32_t heads, int32_t head_dim, int32_t x_zp,
                        int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                        int32_t yb) {
  const rope_ctx_t k = {ig_neon_rq(mult, shift, y_zp, act_min, act_max), vdupq_n_s16((int16_t)x_zp), x_zp, mult,
                        shift, y_zp, act_min, act_max};
  return ig_rope_rows(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, y, yb, &k, 0);
}

#define IG_ENTRIES_ROPE
#include "ig_entry_points.h"
