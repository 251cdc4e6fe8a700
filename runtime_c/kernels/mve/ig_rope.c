/* rope (quant/ops/rope.py) for Armv8.1-M Helium: rotate-half rotary embedding with Q14 cos / sin tables, four
 * rotation pairs per step in int32 lanes (VLDRB.S32 / VLDRH.S32 widening loads; |a c - b s| < 2^23, exact), the
 * last (head_dim / 2) % 4 pairs tail-predicated; requantization in lanes (ig_mve_requant4: the values of
 * ig_rq_apply / ig_output_i32, as the portable kernel), predicated stores. A position outside the tables returns 1
 * (the portable kernel's report). */
#include "ig_mve_common.h"
#include "ig_ops.h"
#include "ig_rope.h"

typedef struct {
  int32x4_t mv, sh, zp;
  int32_t y_zp, act_min, act_max, yb;
  void *y;
} rope_state;

IG_INLINE void rope_head(IG_ROPE_HEAD_ARGS) {
  const rope_state *k = state;
  for (int32_t i = 0; i < half; i += 4) { /* inactive lanes are computed but not stored */
    mve_pred16_t m = vctp32q((uint32_t)(half - i));
    int32x4_t a = vsubq_s32(vldrbq_z_s32(xa + i, m), k->zp), b = vsubq_s32(vldrbq_z_s32(xb + i, m), k->zp);
    int32x4_t ci = vldrhq_z_s32(c + i, m), si = vldrhq_z_s32(s + i, m);
    int32x4_t lo = vsubq_s32(vmulq_s32(a, ci), vmulq_s32(b, si));
    int32x4_t hi = vaddq_s32(vmulq_s32(b, ci), vmulq_s32(a, si));
    ig_mve_store4(k->y, base + i, ig_mve_requant4(lo, k->mv, k->sh, k->y_zp, k->act_min, k->act_max), k->yb, m);
    ig_mve_store4(k->y, base + half + i, ig_mve_requant4(hi, k->mv, k->sh, k->y_zp, k->act_min, k->act_max), k->yb,
                  m);
  }
}

IG_INLINE int32_t rope_body(const int8_t *x, int32_t rows, const int32_t *positions, const int16_t *cos_t,
                            const int16_t *sin_t, int32_t n_positions, int32_t heads, int32_t head_dim, int32_t x_zp,
                            int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                            int32_t yb) {
  rope_state k = {vdupq_n_s32(mult), vdupq_n_s32(shift), vdupq_n_s32(x_zp), y_zp, act_min, act_max, yb, y};
  return ig_rope_rows(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, &k, rope_head);
}

#define IG_ENTRIES_ROPE
#include "ig_entry_points.h"
