/* rope, FP32: Armv8.1-M Helium float, four rotation pairs per step: a cos - b sin (VMUL.F32, VFMS.F32) and
 * b cos + a sin (VMUL.F32, VFMA.F32), the last half % 4 pairs tail-predicated; a position outside the table
 * returns 1. */
#include "ig_mve_f32.h"
#include "ig_ops_f32.h"
#include "ig_rope_f32.h"

static inline __attribute__((always_inline)) void rope_head(const float *xa, const float *xb, const float *c,
                                                             const float *sn, float *ya, float *yb, int32_t half) {
  int32_t i = ig_rope_quads_f32(xa, xb, c, sn, ya, yb, half);
  if (i < half) {
    mve_pred16_t p = vctp32q((uint32_t)(half - i));
    float32x4_t a = vldrwq_z_f32(xa + i, p), b = vldrwq_z_f32(xb + i, p);
    float32x4_t cv = vldrwq_z_f32(c + i, p), sv = vldrwq_z_f32(sn + i, p);
    vstrwq_p_f32(ya + i, vfmsq_f32(vmulq_f32(a, cv), b, sv), p);
    vstrwq_p_f32(yb + i, vfmaq_f32(vmulq_f32(b, cv), a, sv), p);
  }
}

int32_t ig_rope_f32(const float *x, int32_t rows, const int32_t *positions, const float *cos_t, const float *sin_t,
                    int32_t n_positions, int32_t heads, int32_t head_dim, float *y) {
  return ig_rope_rows_f32(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, y, rope_head);
}
